// i18n-check.mjs — the console's dictionaries (web/i18n.js) against the
// page (web/app.js): both languages have the same keys; every key the page
// names, literally or by a known prefix, is in both; no Russian string is
// left equal to its English one (but for the language names).
//   node i18n-check.mjs WEBDIR      prints "ok"/"FAIL" lines, then a summary
import { readFileSync } from "node:fs";
import vm from "node:vm";

const dir = process.argv[2];
const ctx = { window: {} };
vm.runInNewContext(readFileSync(`${dir}/i18n.js`, "utf8"), ctx);
const { en, ru } = ctx.window.PARLEY_I18N;
const app = readFileSync(`${dir}/app.js`, "utf8");
let fails = 0;
const fail = (what) => { fails++; console.log("FAIL " + what); };

for (const k of Object.keys(en)) if (!(k in ru)) fail(`'${k}' has no Russian`);
for (const k of Object.keys(ru)) if (!(k in en)) fail(`'${k}' has no English`);
const same = ["lang.en", "lang.ru", "none"];
for (const k of Object.keys(en))
  if (k in ru && ru[k] === en[k] && !same.includes(k)) fail(`'${k}' is the same in Russian: "${ru[k]}"`);
for (const k of Object.keys(ru))
  if (!same.includes(k) && /[A-Za-z]{2,}/.test(ru[k].replace(/\{\w+\}|parley|TLP|IP|UTC|CSV/g, "")))
    fail(`'${k}' keeps Latin words in Russian: "${ru[k]}"`);
// Placeholders agree.
const slots = (s) => (s.match(/\{\w+\}/g) || []).sort().join();
for (const k of Object.keys(en)) if (k in ru && slots(en[k]) !== slots(ru[k])) fail(`'${k}': placeholders differ`);

// Keys named literally: t("x.y"), tn("x.y"), setNotice("x.y"), key: "x.y".
const used = new Set();
for (const m of app.matchAll(/\b(?:t|tn|setNotice)\(\s*"([a-z_]+\.[a-z0-9_.]+|[a-z]+)"/g)) used.add(m[1]);
for (const m of app.matchAll(/\bkey: "([a-z_]+\.[a-z0-9_]+)"/g)) used.add(m[1]);
for (const m of app.matchAll(/"((?:err|login|due|proof|nav|peers|col|inbox|outbox|reports|new)\.[a-z_0-9]+)"/g)) used.add(m[1]);
// Keys built from a prefix and a value the API or the page supplies.
const families = {
  state: ["sent", "receipted", "acknowledged", "answered", "declined", "withdrawn", "closed", "overdue"],
  kind: ["request", "ack", "answer", "decline", "withdraw", "remind", "close"],
  act: ["ack", "answer", "decline", "withdraw", "remind", "close"],
  role: ["officer", "supervisor", "auditor"],
  metric: ["requests", "receipted", "no_receipt", "acknowledged", "answered", "answered_on_time", "declined",
    "withdrawn", "open", "overdue_ack", "overdue_answer", "ack_p50_s", "ack_p90_s", "answer_p50_s", "answer_p90_s"],
  by: ["month", "quarter", "year", "all"],
  fk: ["text", "date", "ip", "domain", "url", "hash", "email", "person", "enum"],
  series: ["requests", "answered"],
  lang: ["en", "ru"],
  nav: ["inbox", "outbox", "new", "reports", "peers"],
};
for (const [p, vals] of Object.entries(families)) {
  if (!app.includes(`"${p}." +`)) fail(`app.js no longer builds '${p}.' keys: update this check`);
  for (const v of vals) used.add(`${p}.${v}`);
}
let missing = 0;
for (const k of used) if (!(k in en) || !(k in ru)) { missing++; fail(`the page uses '${k}', missing in ${k in en ? "ru" : "en"}`); }
for (const k of Object.keys(en)) if (!used.has(k) && !app.includes(`"${k}"`)) console.log(`note: '${k}' looks unused`);
console.log(`${Object.keys(en).length} keys in each language, ${used.size} used by the page, ${fails} faults`);
process.exit(fails ? 1 : 0);
