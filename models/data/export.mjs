// Exports the pinned colour-name packages to the CSV files beside this
// script. Run through prepare.sh, which installs the packages first.
//
// Usage: node export.mjs NODE_MODULES_DIR OUTPUT_DIR
import fs from 'node:fs';
import path from 'node:path';

// Lists of color-name-lists used for training: English names under MIT or
// CC0. Share-alike (CC BY-SA), unknown-licence and non-English lists are
// left out.
const EXTRA_LISTS = [
  'basic', 'html', 'ntc', 'nbsIscc', 'ridgway', 'thesaurus', 'werner',
  'mlmc_english', 'risograph',
];

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

// The key under which two names count as the same: lower case, runs of
// white space collapsed to one space, trimmed.
function normaliseName(name) {
  return name.toLowerCase().replace(/\s+/gu, ' ').trim();
}

function checkedEntry(entry, source) {
  const name = String(entry.name).replace(/\s+/gu, ' ').trim();
  const hex = String(entry.hex).toLowerCase();
  if (name === '' || !/^#[0-9a-f]{6}$/.test(hex)) {
    throw new Error(`${source}: invalid entry ${JSON.stringify(entry)}`);
  }
  return { name, hex };
}

// Quotes a CSV field when it contains a comma, a quote or a line break
// (RFC 4180).
function csvField(text) {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function writeCsv(file, rows) {
  const lines = ['name,hex', ...rows.map((row) => `${csvField(row.name)},${row.hex}`)];
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

const [nodeModules, outputDir] = process.argv.slice(2);
if (!nodeModules || !outputDir) {
  console.error('usage: node export.mjs NODE_MODULES_DIR OUTPUT_DIR');
  process.exit(2);
}

const longList = readJson(path.join(nodeModules, 'color-name-list/dist/colornames.json'));
const lists = readJson(path.join(nodeModules, 'color-name-lists/dist/colorlists.json')).lists;

const xkcd = lists.xkcd.map((entry) => checkedEntry(entry, 'color-name-lists xkcd'));
const heldOut = new Set(xkcd.map((entry) => normaliseName(entry.name)));

const sources = [{ label: 'color-name-list', entries: longList }];
for (const key of EXTRA_LISTS) {
  if (!lists[key]) throw new Error(`color-name-lists has no list '${key}'`);
  sources.push({ label: `color-name-lists ${key}`, entries: lists[key] });
}

const seen = new Set();
const training = [];
const counts = [];
for (const source of sources) {
  let kept = 0;
  let removedAsHeldOut = 0;
  for (const raw of source.entries) {
    const entry = checkedEntry(raw, source.label);
    const key = normaliseName(entry.name);
    if (heldOut.has(key)) {
      removedAsHeldOut += 1;
      continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    training.push(entry);
    kept += 1;
  }
  counts.push({ source: source.label, total: source.entries.length, kept, removedAsHeldOut });
}

writeCsv(path.join(outputDir, 'xkcd.csv'), xkcd);
writeCsv(path.join(outputDir, 'train.csv'), training);
for (const count of counts) {
  console.log(`${count.source}: ${count.total} names, ${count.kept} kept, ` +
              `${count.removedAsHeldOut} removed as XKCD names`);
}
console.log(`train.csv: ${training.length} names; xkcd.csv: ${xkcd.length} names`);
