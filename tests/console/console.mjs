// console.mjs — the operator console in Debian's Chromium (playwright-core,
// headless), driven by tests/integration/console.sh, which starts the two
// nodes and passes them in the environment. Prints "ok NAME" or
// "FAIL NAME" per check; exits non-zero only if the script itself breaks.
//   PHASE=main    the whole scenario, the wrong token, the auditor,
//                 keyboard and labels, screenshots in both languages
//   PHASE=expiry  A's sessions last 10 s: acting after that is refused
//   PHASE=overdue A's clock is three days ahead: b's case is overdue there
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import path from "node:path";
import vm from "node:vm";

const env = process.env;
const SHOTS = env.SHOTS;
const ctx = { window: {} };
vm.runInNewContext(readFileSync(new URL("../../web/i18n.js", import.meta.url), "utf8"), ctx);
const I18N = ctx.window.PARLEY_I18N;
const T = (lang, key, args = {}) => I18N[lang][key].replace(/\{(\w+)\}/g, (m, k) => args[k] ?? m);

let failures = 0;
const ok = (name) => console.log("ok   " + name);
const fail = (name, detail) => {
  failures++;
  console.log("FAIL " + name + (detail ? "\n     " + String(detail).split("\n").join("\n     ") : ""));
};
const check = (cond, name, detail) => (cond ? ok(name) : fail(name, detail));
async function step(name, fn) {
  try {
    await fn();
    ok(name);
  } catch (e) {
    fail(name, e && e.message ? e.message.split("\n").slice(0, 6).join("\n") : e);
  }
}

// What a node's logs hold (parley store digest): unchanged by a refusal.
const digest = (node) => execFileSync(env.PARLEY, ["store", "digest", "--dir", node]).toString().trim();

async function browser(locale, timezoneId) {
  const dir = mkdtempSync(path.join(env.TMPDIR || "/tmp", "chromium-"));
  return chromium.launchPersistentContext(dir, {
    executablePath: env.CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    ignoreHTTPSErrors: true, // each node's certificate is self-signed, pinned by its peers
    locale, timezoneId, viewport: { width: 1280, height: 800 },
  });
}

async function login(page, url, token) {
  await page.goto(url + "/");
  await page.fill("#token", token);
  await page.click("#login");
}

// What went wrong inside a page, printed as notes for the reader of a
// failed run: requests that failed and the page's own errors.
function watch(page, who) {
  page.on("requestfailed", (r) => console.log(`note: ${who}: ${r.method()} ${r.url()} failed: ${r.failure() && r.failure().errorText}`));
  page.on("pageerror", (e) => console.log(`note: ${who}: page error: ${e.message}`));
}

// The notice above the page: its visible sentence.
const notice = (page) => page.locator("#notice .notice-text");

// Visible text outside data (names, subjects: marked data-raw) that holds
// a Latin word: an English string left in the Russian page.
async function latinLeft(page) {
  return page.evaluate(() => {
    const allow = new Set(["parley", "TLP", "IP", "UTC", "CSV"]);
    const out = [];
    const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = w.nextNode(); n; n = w.nextNode()) {
      const e = n.parentElement;
      if (!e || e.closest("[data-raw], script, style, noscript")) continue;
      const opt = e.closest("option");
      if (opt && !opt.selected) continue;
      const det = e.closest("details");
      if (det && !det.open && !e.closest("summary")) continue;
      if (!opt && !e.checkVisibility()) continue;
      const words = (n.textContent.match(/[A-Za-z]{2,}/g) || []).filter((x) => !allow.has(x));
      if (words.length) out.push(n.textContent.trim());
    }
    return out;
  });
}

// Every visible form control has a label; every button and link a name.
async function unlabelled(page) {
  return page.evaluate(() => {
    const out = [];
    for (const e of document.querySelectorAll("input, select, textarea")) {
      if (!e.checkVisibility()) continue;
      const named = (e.labels && [...e.labels].some((l) => l.textContent.trim())) || e.getAttribute("aria-label");
      if (!named) out.push(e.outerHTML.slice(0, 80));
    }
    for (const e of document.querySelectorAll("button, a[href]")) {
      if (e.checkVisibility() && !e.textContent.trim() && !e.getAttribute("aria-label")) out.push(e.outerHTML.slice(0, 80));
    }
    return out;
  });
}

const PAGES = [["inbox", "#/inbox"], ["outbox", "#/outbox"], ["case", null], ["new", "#/new"],
  ["reports", "#/reports"], ["peers", "#/peers"]];

async function shots(page, url, lang, caseId) {
  for (const [name, hash] of PAGES) {
    await page.goto(url + "/" + (hash || "#/case/" + caseId));
    await page.waitForSelector("#page h1");
    if (name === "new") {
      await page.selectOption("#new-type", "cyber-incident");
      await page.waitForSelector("#new-subject");
    }
    if (name === "reports") await page.waitForSelector("#chart-plot canvas");
    for (const [w, h, tag] of [[1280, 800, "1280x800"], [420, 800, "narrow"]]) {
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(50);
      await page.screenshot({ path: `${SHOTS}/${name}-${lang}-${tag}.png`, fullPage: tag === "narrow" });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    const bad = await unlabelled(page);
    check(bad.length === 0, `${lang}: every control of ${name} is labelled`, bad.join("\n"));
    if (lang === "ru") {
      const left = await latinLeft(page);
      check(left.length === 0, `ru: nothing of ${name} is left in English`, left.join("\n"));
    }
  }
}

async function main() {
  const A = await browser("en-GB", "Europe/London");
  const B = await browser("ru-RU", "Europe/Moscow");
  const pa = A.pages()[0] || (await A.newPage());
  const pb = B.pages()[0] || (await B.newPage());
  watch(pa, "a");
  watch(pb, "b");
  const errors = [];
  for (const p of [pa, pb]) p.on("pageerror", (e) => errors.push(e.message));
  for (const p of [pa, pb]) p.on("console", (m) => m.type() === "error" && !/401|403|400/.test(m.text()) && errors.push(m.text()));
  let id = null;

  // A wrong token: a clear message, nothing stored.
  const before = digest(env.NODE_A);
  await step("a wrong token: the page says so and stays on the login form", async () => {
    await login(pa, env.URL_A, "parley_" + "A".repeat(43));
    await notice(pa).filter({ hasText: T("en", "login.wrong") }).waitFor({ timeout: 5000 });
    await pa.locator("#token").waitFor();
  });
  await pa.screenshot({ path: `${SHOTS}/login-wrong-token-en-1280x800.png` });
  check(digest(env.NODE_A) === before, "a wrong token changed nothing (store digest)");

  // B logs in (Russian, the browser's language) and watches its inbox.
  await step("b logs in; its page is in Russian", async () => {
    await pb.goto(env.URL_B + "/");
    await pb.locator("#login").filter({ hasText: T("ru", "login.submit") }).waitFor();
    await pb.screenshot({ path: `${SHOTS}/login-ru-1280x800.png` });
    await login(pb, env.URL_B, env.OFF_B);
    await pb.locator("h1", { hasText: T("ru", "inbox.title") }).waitFor();
  });
  await pb.evaluate(() => { window.__sameDocument = true; });

  // A's officer opens a case from the form.
  await step("a's officer logs in and reaches the inbox", async () => {
    await login(pa, env.URL_A, env.OFF_A);
    await pa.locator("h1", { hasText: T("en", "inbox.title") }).waitFor();
  });
  await pa.screenshot({ path: `${SHOTS}/login-en-1280x800.png` });
  await step("the new-case form holds the charter's fields for the type", async () => {
    await pa.click(`nav a[href="#/new"]`);
    await pa.selectOption("#new-peer", "b.example").catch(() => {});
    await pa.selectOption("#new-type", "cyber-incident");
    for (const f of ["summary", "source_ip", "first_seen", "contact", "severity"])
      await pa.locator(`#field-${f}`).waitFor({ timeout: 3000 });
  });
  const beforeInvalid = digest(env.NODE_A);
  await step("a form with faults is refused in the page, naming each field", async () => {
    await pa.fill("#new-subject", "Scanning from AS64500");
    await pa.fill("#field-source_ip", "not an address");
    await pa.click("#new-submit");
    await notice(pa).filter({ hasText: T("en", "new.invalid") }).waitFor({ timeout: 3000 });
    const ipErr = await pa.textContent("#field-source_ip-err");
    if (ipErr !== T("en", "v.ip")) throw new Error("source_ip error: " + ipErr);
    const sumErr = await pa.textContent("#field-summary-err");
    if (sumErr !== T("en", "v.required")) throw new Error("summary error: " + sumErr);
    if ((await pa.getAttribute("#field-source_ip", "aria-invalid")) !== "true") throw new Error("not aria-invalid");
  });
  check(digest(env.NODE_A) === beforeInvalid, "nothing was sent for the faulty form (store digest)");
  await step("a's officer sends the request", async () => {
    await pa.fill("#field-summary", "ssh brute force");
    await pa.fill("#field-source_ip", "192.0.2.0/24");
    await pa.fill("#field-first_seen", "2026-11-20");
    await pa.fill("#field-contact", "cert@a.example");
    await pa.selectOption("#field-severity", "high");
    await pa.fill("#new-text", "Please look into it.");
    await pa.click("#new-submit");
    await pa.waitForURL(/#\/case\/a\.example\/\d+$/, { timeout: 5000 });
    id = decodeURIComponent(pa.url().split("#/case/")[1]);
    await notice(pa).filter({ hasText: "a.example/" }).waitFor();
  });

  // A watches its report while B works.
  let pointsBefore = null;
  await step("a's report chart shows the request, not yet answered", async () => {
    await pa.click(`nav a[href="#/reports"]`);
    await pa.waitForSelector("#chart-plot canvas");
    await pa.waitForFunction(() => {
      const p = document.querySelector("#chart-plot").dataset.points;
      return p && JSON.parse(p).flat().some((x) => x > 0);
    }, null, { timeout: 10000 });
    pointsBefore = JSON.parse(await pa.getAttribute("#chart-plot", "data-points"));
    // series: a->b requests, a->b answered, b->a requests, b->a answered
    if (pointsBefore[0].at(-1) !== 1 || pointsBefore[1].at(-1) !== 0) throw new Error(JSON.stringify(pointsBefore));
  });

  const t0 = Date.now();
  await step("the case appears in b's inbox without a reload", async () => {
    await pb.locator(`#inbox-table tr[data-case="${id}"]`).waitFor({ timeout: 15000 }).catch(async (e) => {
      console.log("note: b's page: " + JSON.stringify(await pb.evaluate(async () => ({ hash: location.hash, hidden: document.hidden,
        stamp: parleyConsole.state.stamp, me: !!parleyConsole.state.me, h1: document.querySelector("h1") && document.querySelector("h1").textContent,
        rows: document.querySelectorAll("#inbox-table tr").length, notice: document.querySelector("#notice").textContent,
        now: await (await fetch("/api/v1/changes")).text() }))));
      throw e;
    });
    if (!(await pb.evaluate(() => window.__sameDocument === true))) throw new Error("the page was reloaded");
  });
  console.log(`note: the case reached b's open inbox in ${Date.now() - t0} ms`);
  await step("b opens it: timeline with sender time, receipt time and a proof badge", async () => {
    await pb.click(`#inbox-table tr[data-case="${id}"] a`);
    await pb.locator("#timeline li[data-kind=request]").waitFor();
    await pb.locator("#timeline li[data-kind=request] .proof-yes", { hasText: T("ru", "proof.yes") }).waitFor({ timeout: 10000 });
    await pb.locator("#timeline li[data-kind=request] time").first().waitFor();
  });
  await step("b acknowledges", async () => {
    await pb.fill("#act-text", "Получено, смотрим.");
    await pb.click("#act-ack");
    await notice(pb).filter({ hasText: T("ru", "act.done", { action: T("ru", "act.ack") }) }).waitFor({ timeout: 5000 });
    await pb.locator("#timeline li[data-kind=ack]").waitFor();
  });
  await step("b answers", async () => {
    await pb.locator("#act-answer").waitFor();
    await pb.fill("#act-text", "Источник заблокирован.");
    await pb.click("#act-answer");
    await pb.locator("#timeline li[data-kind=answer]").waitFor({ timeout: 5000 });
    await pb.locator("#case-state", { hasText: T("ru", "state.answered") }).waitFor();
  });

  await step("a's report chart updates without a reload: answered", async () => {
    await pa.waitForFunction(() => {
      const p = JSON.parse(document.querySelector("#chart-plot").dataset.points || "[]");
      return p[1] && p[1].at(-1) === 1;
    }, null, { timeout: 15000 });
    await pa.locator(`tr[data-metric=answered] td`).first().filter({ hasText: "1" }).waitFor();
  });
  await step("a sees the answer in the case, receipted", async () => {
    await pa.goto(env.URL_A + "/#/case/" + id);
    await pa.locator("#timeline li[data-kind=answer]", { hasText: "Источник заблокирован." }).waitFor({ timeout: 10000 });
    await pa.locator("#case-state", { hasText: T("en", "state.answered") }).waitFor();
    await pa.locator("#timeline li[data-kind=answer] .proof-yes").waitFor({ timeout: 10000 });
  });
  await step("a's outbox lists the case as answered", async () => {
    await pa.goto(env.URL_A + "/#/outbox");
    await pa.locator(`#outbox-table tr[data-case="${id}"]`, { hasText: T("en", "state.answered") }).waitFor();
  });
  await step("with pages of one case, the lists follow the API's next page by page", async () => {
    const pg = await pa.context().newPage();
    const asked = [];
    pg.on("request", (r) => { if (r.url().includes("/api/v1/cases?")) asked.push(r.url()); });
    await pg.addInitScript(() => { window.PARLEY_CASES_PAGE = 1; });
    await pg.goto(env.URL_A + "/#/outbox");
    await pg.locator(`#outbox-table tr[data-case="${id}"]`, { hasText: T("en", "state.answered") }).waitFor();
    await pg.goto(env.URL_A + "/#/inbox");
    await pg.locator(`#inbox-table tr[data-case="b.example/1"]`).waitFor();
    await pg.close();
    // a holds two cases (its request, b's): two pages each time, the second after the first's last.
    const firsts = asked.filter((u) => !u.includes("after="));
    const seconds = asked.filter((u) => u.includes("after=b.example%2Fa.example%2F1"));
    if (firsts.length < 2 || seconds.length < 2 || !asked.every((u) => u.includes("limit=1")))
      throw new Error(asked.join("\n"));
  });
  await step("the peers page shows b reachable, its last receipt and no fork evidence", async () => {
    await pa.goto(env.URL_A + "/#/peers");
    const row = pa.locator(`#peers-table tr[data-peer="b.example"]`);
    await row.filter({ hasText: T("en", "reach.yes") }).waitFor({ timeout: 5000 });
    await row.locator("time").first().waitFor();
    await row.filter({ hasText: T("en", "fork.none") }).waitFor();
  });
  await step("the CSV export and the audit bundle download", async () => {
    await pa.goto(env.URL_A + "/#/reports");
    const [csv] = await Promise.all([pa.waitForEvent("download"), pa.click("#export-csv")]);
    const text = readFileSync(await csv.path(), "utf8");
    if (!/^from,to,period,requests/.test(text) || !text.includes("a.example,b.example,")) throw new Error(text);
    const [bundle] = await Promise.all([pa.waitForEvent("download"), pa.click(".export-audit")]);
    const b = JSON.parse(readFileSync(await bundle.path(), "utf8"));
    if (b.bundle !== "parley-audit/1") throw new Error(JSON.stringify(b).slice(0, 200));
  });

  // Keyboard: from the top, Tab reaches the skip link, every section, the
  // language and the filters, in that order.
  await step("keyboard: Tab goes through skip link, sections, language, log out, filters", async () => {
    await pa.goto(env.URL_A + "/#/outbox");
    await pa.locator("#outbox-table").waitFor();
    await pa.locator("body").focus();
    const seen = [];
    for (let i = 0; i < 14; i++) {
      await pa.keyboard.press("Tab");
      seen.push(await pa.evaluate(() => {
        const e = document.activeElement;
        return e.id || e.getAttribute("href") || e.tagName;
      }));
    }
    const want = ["#main", "#/inbox", "#/outbox", "#/new", "#/reports", "#/peers", "lang", "logout", "f-peer", "f-type",
      "f-state", "#/case/a.example/1"];
    if (want.join() !== seen.slice(0, want.length).join()) throw new Error(seen.join(" "));
  });
  await step("keyboard: a case is opened and acted on with keys only", async () => {
    await pa.goto(env.URL_A + "/#/outbox");
    await pa.locator(`#outbox-table a`).first().focus();
    await pa.keyboard.press("Enter");
    await pa.locator("#act-close").waitFor();
    await pa.locator("#act-text").focus();
    await pa.keyboard.type("Thank you.");
    await pa.keyboard.press("Tab");
    const f = await pa.evaluate(() => document.activeElement.id);
    if (f !== "act-close") throw new Error("focus on " + f);
  });

  // Screenshots of every page, in English, then in Russian after the switch.
  await step("every page in English: screenshots, labels", () => shots(pa, env.URL_A, "en", id));
  await step("the language switch turns the page Russian", async () => {
    await pa.goto(env.URL_A + "/#/inbox");
    await pa.selectOption("#lang", "ru");
    await pa.locator("h1", { hasText: T("ru", "inbox.title") }).waitFor();
    await pa.locator(`nav a[href="#/reports"]`, { hasText: T("ru", "nav.reports") }).waitFor();
  });
  await step("every page in Russian: screenshots, labels, no English left", () => shots(pa, env.URL_A, "ru", id));
  await pa.selectOption("#lang", "en");

  // An auditor: the page offers no action; a forced one is refused, said
  // in the page, and changes nothing.
  await step("an auditor's case page offers no action and says why", async () => {
    await pa.click("#logout");
    await pa.locator("#token").waitFor();
    await login(pa, env.URL_A, env.AUD_A);
    await pa.locator("h1", { hasText: T("en", "inbox.title") }).waitFor();
    await pa.goto(env.URL_A + "/#/case/" + id);
    await pa.locator("#readonly", { hasText: T("en", "actions.readonly", { role: T("en", "role.auditor") }) }).waitFor();
    if (await pa.locator("#act-close").count()) throw new Error("an action button is shown");
  });
  const beforeAud = digest(env.NODE_A);
  await step("an auditor forcing an action is refused in the page", async () => {
    await pa.evaluate((cid) => window.parleyConsole.act(cid, "close", "x"), id);
    await notice(pa).filter({ hasText: T("en", "err.forbidden", { role: T("en", "role.auditor") }) }).waitFor({ timeout: 5000 });
  });
  await pa.screenshot({ path: `${SHOTS}/auditor-refused-en-1280x800.png` });
  check(digest(env.NODE_A) === beforeAud, "the auditor's attempt changed nothing (store digest)");
  check(errors.length === 0, "no script errors in either page", errors.join("\n"));
  await A.close();
  await B.close();
}

async function expiry() {
  const A = await browser("ru-RU", "Asia/Vladivostok");
  const pa = A.pages()[0] || (await A.newPage());
  watch(pa, "a");
  await step("a's officer logs in (sessions of 10 s)", async () => {
    await login(pa, env.URL_A, env.OFF_A);
    await pa.locator("h1", { hasText: T("ru", "inbox.title") }).waitFor();
    await pa.goto(env.URL_A + "/#/outbox");
    await pa.locator("#outbox-table a").first().click();
    await pa.locator("#act-close").waitFor();
  });
  const before = digest(env.NODE_A);
  // Past the session's end, as the cookie states it (a slow machine may
  // have spent part of the 10 s logging in; no fixed sleep then).
  const cookie = (await A.cookies()).find((c) => c.name.startsWith("parley"));
  const left = cookie && cookie.expires > 0 ? cookie.expires * 1000 - Date.now() : 10000;
  await pa.waitForTimeout(Math.max(0, left) + 1000);
  await step("acting after the session expired: the page says so, asks to log in", async () => {
    // The poll may notice first; either way the page must say it.
    if (await pa.locator("#act-close").count()) await pa.click("#act-close", { timeout: 1000 }).catch(() => {});
    await notice(pa).filter({ hasText: T("ru", "login.expired") }).waitFor({ timeout: 5000 });
    await pa.locator("#token").waitFor();
  });
  await pa.screenshot({ path: `${SHOTS}/login-expired-ru-1280x800.png` });
  check(digest(env.NODE_A) === before, "the expired session changed nothing (store digest)");
  await A.close();
}

async function overdue() {
  const A = await browser("en-GB", "Europe/London");
  const pa = A.pages()[0] || (await A.newPage());
  watch(pa, "a");
  const row = (which, id) => pa.locator(`#${which}-table tr[data-case="${id}"]`);
  await step("a's inbox marks b's case overdue (a's clock three days ahead)", async () => {
    await login(pa, env.URL_A, env.OFF_A);
    await row("inbox", "b.example/1").waitFor();
    if (!((await row("inbox", "b.example/1").getAttribute("class")) || "").includes("is-overdue"))
      throw new Error("the row is not marked");
    await row("inbox", "b.example/1").locator(".badge.overdue", { hasText: T("en", "overdue") }).waitFor();
  });
  await step("the inbox's overdue filter keeps it", async () => {
    await pa.selectOption("#f-state", "overdue");
    await row("inbox", "b.example/1").waitFor();
    await pa.screenshot({ path: `${SHOTS}/inbox-overdue-en-1280x800.png` });
    await pa.selectOption("#f-state", "");
  });
  await step("a's own case, answered, is not overdue", async () => {
    await pa.goto(env.URL_A + "/#/outbox");
    await row("outbox", "a.example/1").waitFor();
    if (await row("outbox", "a.example/1").locator(".badge.overdue").count()) throw new Error("marked overdue");
  });
  await A.close();
}

const started = Date.now();
const phases = { main, expiry, overdue };
await phases[env.PHASE]().catch((e) => fail("the browser script", e.stack));
console.log(`note: phase ${env.PHASE} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(0);
