/* The text folding of C (proto/text.c, through fold_print) and of the
   mirror's search (contrat.js, as the browser runs it) must agree.

     node compare.js FOLD_PRINT CONTRAT_JS STRINGS.txt

   Both are fed the same strings: every line of STRINGS.txt, then every
   character of U+0000..U+04FF, U+1E00..U+1EFF, U+2000..U+20FF and a few
   beyond (CJK, emoji as a surrogate pair), alone and between two letters.
   Prints each disagreement; exits 1 if there is any. */
'use strict';
const fs = require('fs');
const vm = require('vm');
const childProcess = require('child_process');

const [foldPrint, contratJs, stringsPath] = process.argv.slice(2);
if (!stringsPath) {
  console.error('usage: node compare.js FOLD_PRINT CONTRAT_JS STRINGS.txt');
  process.exit(2);
}

/* contrat.js as a browser loads it: its top-level names become globals. */
const context = vm.createContext({});
vm.runInContext(fs.readFileSync(contratJs, 'utf8'), context, { filename: contratJs });
const replierJs = (texte) => context.replier(texte);

const inputs = fs.readFileSync(stringsPath, 'utf8').split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'));
const ranges = [[0x0000, 0x04ff], [0x1e00, 0x1eff], [0x2000, 0x20ff], [0x3000, 0x3010], [0xfeff, 0xff10]];
for (const [from, to] of ranges) {
  for (let cp = from; cp <= to; cp++) {
    const c = String.fromCodePoint(cp);
    inputs.push(c, 'a' + c + 'b', ' ' + c + c + ' ');
  }
}
inputs.push('東京', '😀 Ÿ😀', 'e\u0301cole');

const hex = (s) => Buffer.from(s, 'utf8').toString('hex');
const answer = childProcess.execFileSync(foldPrint, { input: inputs.map(hex).join('\n') + '\n',
                                                      maxBuffer: 1 << 26 });
const folds = answer.toString('utf8').split('\n');
let bad = 0;
inputs.forEach((input, i) => {
  const c = Buffer.from(folds[i] || '', 'hex').toString('utf8');
  const js = replierJs(input);
  if (c !== js) {
    if (bad < 40) {
      console.log('disagree on %j (%s): C %j, JS %j', input, hex(input), c, js);
    }
    bad++;
  }
});
console.log('%d strings folded by C and by JS, %d disagreement(s)', inputs.length, bad);
process.exit(bad ? 1 : 0);
