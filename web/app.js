/* app.js — parley's operator console: one page, hash routes (#/inbox,
 * #/outbox, #/case/REQUESTER/INDEX, #/new, #/reports, #/peers), the
 * operator API of the same node (/api/v1/, a session cookie and a CSRF
 * header), every visible string from i18n.js, times in the browser's
 * locale and time zone (the API speaks UTC), and a poll of
 * /api/v1/changes that redraws the page when an entry or a receipt is
 * stored. No inline script (the Content-Security-Policy forbids it). */
"use strict";
(function () {
  const DICT = window.PARLEY_I18N;
  const POLL_MS = 1500;
  const STATES = ["sent", "receipted", "acknowledged", "answered", "declined", "withdrawn", "closed"];
  const OPEN = ["sent", "receipted", "acknowledged"];
  const METRICS = ["requests", "receipted", "no_receipt", "acknowledged", "answered",
    "answered_on_time", "declined", "withdrawn", "open", "overdue_ack", "overdue_answer",
    "ack_p50_s", "ack_p90_s", "answer_p50_s", "answer_p90_s"];
  const TLPS = ["clear", "green", "amber", "amber+strict", "red"];

  const S = {
    lang: pickLang(),
    me: null,          /* {name, role, party, csrf, expires} */
    stamp: null,
    notice: null,      /* {key, args, kind, detail} shown above the page */
    drafts: {},        /* text typed into forms, kept across redraws */
    filters: { peer: "", type: "", state: "" },
    reportBy: "month",
    chart: null,
  };

  function pickLang() {
    const saved = localStorage.getItem("parley.lang");
    if (saved && DICT[saved]) return saved;
    return (navigator.language || "en").toLowerCase().startsWith("ru") ? "ru" : "en";
  }

  /* The operator's locale for dates and numbers: the browser's own when
   * it speaks the chosen language, else the language itself. */
  function locale() {
    const l = (navigator.languages || [navigator.language]).find((x) => x && x.toLowerCase().startsWith(S.lang));
    return l || S.lang;
  }

  function t(key, args) {
    let s = DICT[S.lang][key];
    if (s === undefined) { console.error("i18n: no key " + key); s = key; }
    return args ? s.replace(/\{(\w+)\}/g, (m, k) => (k in args ? String(args[k]) : m)) : s;
  }

  /* A translated sentence whose {slots} are nodes (data shown raw). */
  function tn(key, nodes) {
    const out = document.createDocumentFragment();
    const s = DICT[S.lang][key] || key;
    let last = 0;
    s.replace(/\{(\w+)\}/g, (m, k, at) => {
      out.append(s.slice(last, at));
      const v = nodes[k];
      out.append(v instanceof Node ? v : String(v));
      last = at + m.length;
      return m;
    });
    out.append(s.slice(last));
    return out;
  }

  /* Element builder: el("p", {class: "x", onclick: f}, child...) */
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.append(k);
    return e;
  }

  /* Data from the node (names, types, subjects, texts): never translated. */
  function raw(text, tag) {
    return el(tag || "span", { "data-raw": true, class: "raw" }, text === null || text === undefined ? "" : String(text));
  }

  function fmtTime(iso) {
    if (!iso || iso === "-") return null;
    const d = new Date(iso);
    if (isNaN(d)) return null;
    return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(d);
  }

  function timeEl(iso, fallbackKey) {
    const s = fmtTime(iso);
    if (!s) return document.createTextNode(t(fallbackKey || "none"));
    return el("time", { datetime: iso }, s);
  }

  function fmtDuration(secs) {
    if (secs === null || secs === undefined || secs < 0) return t("none");
    const units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
    const [unit, size] = units.find(([, n]) => secs >= n) || units[3];
    const v = Math.round((secs / size) * 10) / 10;
    return new Intl.NumberFormat(locale(), { style: "unit", unit, unitDisplay: "long" }).format(v);
  }

  function fmtNum(n) {
    return new Intl.NumberFormat(locale()).format(n);
  }

  /* ---- the API -------------------------------------------------------- */

  async function api(path, opts) {
    const o = Object.assign({ method: "GET" }, opts || {});
    const headers = { Accept: "application/json" };
    if (o.method === "POST") {
      headers["Content-Type"] = "application/json";
      if (S.me && S.me.csrf) headers["X-Parley-CSRF"] = S.me.csrf;
    }
    let r;
    try {
      r = await fetch("/api/v1/" + path, { method: o.method, headers, credentials: "same-origin",
        body: o.body === undefined ? undefined : JSON.stringify(o.body), cache: "no-store" });
    } catch (e) {
      return { ok: false, status: 0, error: { code: "network", message: String(e) } };
    }
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (r.ok) return { ok: true, status: r.status, data };
    return { ok: false, status: r.status, error: (data && data.error) || { code: "internal", message: "HTTP " + r.status } };
  }

  /* A refusal as the page says it; a 401 while logged in is an expired
   * session: back to the login form with that message. */
  function failed(res) {
    if (res.status === 401 && S.me) {
      S.me = null;
      S.notice = { key: "login.expired", kind: "error", detail: res.error.message };
      go("#/login");
      render();
      return;
    }
    const key = {
      network: "err.network", forbidden: res.error.message.includes("X-Parley-CSRF") ? "err.csrf" : "err.forbidden",
      conflict: "err.conflict", invalid: "err.invalid", not_found: "err.notfound", too_big: "err.toobig",
      unauthorized: "login.wrong",
    }[res.error.code] || "err.server";
    S.notice = { key, args: { role: S.me ? t("role." + S.me.role) : "" }, kind: "error", detail: res.error.message };
    showNotice();
  }

  function showNotice() {
    const box = document.getElementById("notice");
    if (!box) return;
    box.replaceChildren();
    box.className = "notice";
    if (!S.notice) return;
    const n = S.notice;
    box.classList.add(n.kind === "error" ? "notice-error" : "notice-ok");
    box.append(el("p", { class: "notice-text" }, n.nodes ? tn(n.key, n.nodes) : t(n.key, n.args)));
    if (n.detail)
      box.append(el("details", {}, el("summary", {}, t("err.details")), raw(n.detail, "p")));
  }

  function setNotice(key, args, kind, nodes) {
    S.notice = { key, args, kind: kind || "ok", nodes };
    showNotice();
  }

  /* ---- frame ---------------------------------------------------------- */

  /* Moves to hash, keeping the notice just set (the hashchange redraws). */
  function go(hash) {
    if (location.hash === hash) { render(); return; }
    S.keepNotice = true;
    location.hash = hash;
  }

  function route() {
    const h = location.hash.replace(/^#\/?/, "");
    const parts = h.split("/").map(decodeURIComponent);
    return { name: parts[0] || "inbox", args: parts.slice(1) };
  }

  function header() {
    const r = route();
    const nav = el("nav", { "aria-label": t("nav.label") },
      el("ul", {}, ...["inbox", "outbox", "new", "reports", "peers"].map((p) =>
        el("li", {}, el("a", { href: "#/" + p, "aria-current": r.name === p ? "page" : null }, t("nav." + p))))));
    const langSel = el("select", { id: "lang", onchange: (ev) => {
      S.lang = ev.target.value;
      localStorage.setItem("parley.lang", S.lang);
      render();
      document.getElementById("lang").focus();
    } }, ...Object.keys(DICT).map((l) => el("option", { value: l, selected: l === S.lang }, t("lang." + l))));
    const me = S.me ? el("p", { class: "me" },
      tn("me.label", { name: raw(S.me.name), role: t("role." + S.me.role), party: raw(S.me.party) }),
      " ", el("button", { type: "button", id: "logout", onclick: logout }, t("logout"))) : null;
    return el("header", { class: "top" },
      el("a", { class: "skip", href: "#main" }, t("app.skip")),
      el("div", { class: "brand" }, el("span", { class: "logo", "aria-hidden": "true" }, "⇄"), " parley"),
      S.me ? nav : null,
      el("div", { class: "tools" },
        el("label", { for: "lang" }, t("lang.label")), langSel, me));
  }

  function footer() {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return el("footer", {},
      el("p", {}, tn("tz.note", { tz: raw(tz) })),
      S.me ? el("p", { id: "live", role: "status", "aria-live": "polite" }, t("live.status"),
        S.lastUpdate ? " " + t("live.updated", { time: new Intl.DateTimeFormat(locale(), { timeStyle: "medium" }).format(S.lastUpdate) }) : "") : null);
  }

  async function render() {
    document.documentElement.lang = S.lang;
    document.title = t("app.title");
    const app = document.getElementById("app");
    const main = el("main", { id: "main", tabindex: "-1" }, el("div", { id: "notice", class: "notice", role: "alert" }), el("div", { id: "page" }, t("loading")));
    app.replaceChildren(header(), main, footer());
    showNotice();
    const r = route();
    if (!S.me || r.name === "login") return pageLogin();
    await drawPage(r);
  }

  /* The route's page, drawn from the node's data. The store's stamp is
   * noted before the page reads its data, so that the poll redraws for
   * anything stored after that read began (a stamp first taken by the
   * poll would hide what arrived between the page's read and the poll). */
  async function drawPage(r) {
    const pages = { inbox: () => pageList("inbox"), outbox: () => pageList("outbox"), case: pageCase,
      new: pageNew, reports: pageReports, peers: pagePeers };
    await noteStamp();
    await (pages[r.name] || pages.inbox)(r.args);
  }

  async function noteStamp() {
    const res = await api("changes");
    if (res.ok && res.data) S.stamp = res.data.stamp;
  }

  /* Redraws the current page's data without losing what was typed. */
  async function refresh() {
    const r = route();
    if (!S.me || !document.getElementById("page")) return;
    if (r.name === "new" || r.name === "login") return noteStamp(); // keep what is typed
    const active = document.activeElement && document.activeElement.id;
    await drawPage(r);
    const f = active && document.getElementById(active);
    if (f) f.focus();
    const live = document.getElementById("live");
    if (live) live.replaceWith(footer().querySelector("#live"));
  }

  function setPage(...kids) {
    const page = document.getElementById("page");
    page.replaceChildren(...kids.flat(2).filter((k) => k !== null && k !== undefined && k !== false));
  }

  /* ---- login ---------------------------------------------------------- */

  function pageLogin() {
    const form = el("form", { class: "login", onsubmit: async (ev) => {
      ev.preventDefault();
      const token = document.getElementById("token").value.trim();
      const res = await api("session", { method: "POST", body: { token } });
      if (!res.ok) {
        S.notice = { key: res.status === 401 ? "login.wrong" : "err.server", kind: "error", detail: res.error.message };
        showNotice();
        document.getElementById("token").focus();
        return;
      }
      S.me = res.data;
      S.notice = null;
      if (location.hash === "#/inbox") render();
      else location.hash = "#/inbox";
    } },
      el("h1", {}, t("login.title")),
      el("label", { for: "token" }, t("login.token")),
      el("input", { id: "token", name: "token", type: "password", autocomplete: "off", required: true, "aria-describedby": "token-help" }),
      el("p", { id: "token-help", class: "help" }, t("login.help")),
      el("button", { type: "submit", id: "login" }, t("login.submit")));
    setPage(form);
    document.getElementById("token").focus();
  }

  async function logout() {
    await api("session/logout", { method: "POST", body: {} });
    S.me = null;
    S.notice = { key: "login.out", kind: "ok" };
    go("#/login");
    render();
  }

  /* ---- inbox and outbox ----------------------------------------------- */

  function nextDue(c) {
    if (["sent", "receipted"].includes(c.state) && c.ack_due) return { key: "due.ack", at: c.ack_due, over: c.overdue_ack };
    if (OPEN.includes(c.state) && c.answer_due) return { key: "due.answer", at: c.answer_due, over: c.overdue_answer };
    return null;
  }

  function stateCell(c) {
    const over = c.overdue_ack || c.overdue_answer;
    return el("td", {}, el("span", { class: "state state-" + c.state }, t("state." + c.state)),
      over ? [" ", el("strong", { class: "badge overdue" }, t("overdue"))] : null);
  }

  function select(id, labelKey, options, value, onchange) {
    return el("div", { class: "field" },
      el("label", { for: id }, t(labelKey)),
      el("select", { id, onchange }, ...options.map(([v, label, isRaw]) =>
        el("option", { value: v, selected: v === value, "data-raw": isRaw ? true : null }, label))));
  }

  /* Every case, page by page: the API gives at most a page at a time
   * and "next" while more follow. (window.PARLEY_CASES_PAGE: a smaller
   * page, for the console's own test.) */
  async function allCases() {
    const size = Number(window.PARLEY_CASES_PAGE) || 1000;
    let cases = [];
    let after = null;
    for (;;) {
      const res = await api("cases?limit=" + size + (after ? "&after=" + encodeURIComponent(after) : ""));
      if (!res.ok) return res;
      cases = cases.concat(res.data.cases);
      if (!res.data.next) return { ok: true, data: { cases } };
      after = res.data.next;
    }
  }

  async function pageList(which) {
    const res = await allCases();
    if (!res.ok) return failed(res);
    const mine = res.data.cases.filter((c) => (which === "inbox" ? c.responder : c.requester) === S.me.party);
    const peerOf = (c) => (which === "inbox" ? c.requester : c.responder);
    const peers = [...new Set(mine.map(peerOf))].sort();
    const types = [...new Set(mine.map((c) => c.type))].sort();
    const f = S.filters;
    let rows = mine.filter((c) => (!f.peer || peerOf(c) === f.peer) && (!f.type || c.type === f.type) &&
      (!f.state || (f.state === "overdue" ? c.overdue_ack || c.overdue_answer : c.state === f.state)));
    const dueAt = (c) => { const d = nextDue(c); return d ? Date.parse(d.at) : Infinity; };
    rows.sort((a, b) => dueAt(a) - dueAt(b) || a.id.localeCompare(b.id));
    const upd = (k) => (ev) => { S.filters[k] = ev.target.value; pageList(which); };
    const filters = el("fieldset", { class: "filters" }, el("legend", {}, t("filter.label")),
      select("f-peer", "filter.peer", [["", t("filter.all")], ...peers.map((p) => [p, p, true])], f.peer, upd("peer")),
      select("f-type", "filter.type", [["", t("filter.all")], ...types.map((p) => [p, p, true])], f.type, upd("type")),
      select("f-state", "filter.state", [["", t("filter.all")], ...STATES.map((s) => [s, t("state." + s)]), ["overdue", t("state.overdue")]], f.state, upd("state")));
    const head = which === "inbox"
      ? ["col.case", "col.from", "col.type", "col.subject", "col.state", "col.due", "col.received"]
      : ["col.case", "col.to", "col.type", "col.subject", "col.status", "col.due", "col.received"];
    const table = el("table", { class: "cases", id: which + "-table" },
      el("thead", {}, el("tr", {}, ...head.map((k) => el("th", { scope: "col" }, t(k))))),
      el("tbody", {}, ...rows.map((c) => {
        const d = nextDue(c);
        return el("tr", { class: c.overdue_ack || c.overdue_answer ? "is-overdue" : null, "data-case": c.id },
          el("td", {}, el("a", { href: "#/case/" + c.id.split("/").map(encodeURIComponent).join("/") }, raw(c.id))),
          el("td", {}, raw(peerOf(c))), el("td", {}, raw(c.type)), el("td", {}, raw(c.subject)),
          stateCell(c),
          el("td", {}, d ? tn(d.key, { time: timeEl(d.at) }) : t("due.none")),
          el("td", {}, timeEl(c.receipt, "proof.no")));
      })));
    setPage(el("h1", {}, t(which + ".title")), filters,
      el("p", { class: "count" }, t("list.count", { n: fmtNum(rows.length) })),
      rows.length ? el("div", { class: "scroll" }, table) : el("p", { class: "empty" }, t("list.empty")));
  }

  /* ---- one case ------------------------------------------------------- */

  /* What this side may do now (core/case.h's lifecycle). */
  function allowed(c) {
    const asRequester = c.requester === S.me.party;
    const open = OPEN.includes(c.state);
    const acts = [];
    if (!asRequester && ["sent", "receipted"].includes(c.state)) acts.push("ack");
    if (!asRequester && open) acts.push("answer", "decline");
    if (asRequester && open) acts.push("remind", "withdraw");
    if (c.state === "answered") acts.push("close");
    return acts;
  }

  async function act(id, action, text) {
    const res = await api("cases/" + id + "/" + action, { method: "POST", body: text ? { text } : {} });
    if (!res.ok) { failed(res); return res; }
    S.drafts["act-" + id] = "";
    setNotice("act.done", { action: t("act." + action) });
    await refresh();
    return res;
  }

  async function pageCase(args) {
    const id = args.join("/");
    const res = await api("cases/" + args.map(encodeURIComponent).join("/"));
    if (!res.ok) return failed(res);
    const c = res.data;
    const request = (c.timeline || []).find((m) => m.kind === "request");
    const fields = request && request.body && request.body.fields ? request.body.fields : {};
    const dl = el("dl", { class: "facts" },
      el("dt", {}, t("case.requester")), el("dd", {}, raw(c.requester)),
      el("dt", {}, t("case.responder")), el("dd", {}, raw(c.responder)),
      el("dt", {}, t("case.type")), el("dd", {}, raw(c.type)),
      el("dt", {}, t("case.subject")), el("dd", {}, raw(c.subject)),
      el("dt", {}, t("case.state")), el("dd", { id: "case-state" }, ...[...stateCell(c).childNodes]),
      el("dt", {}, t("case.receipt")), el("dd", {}, timeEl(c.receipt, "proof.no")),
      el("dt", {}, t("case.ack_due")), el("dd", {}, timeEl(c.ack_due)),
      el("dt", {}, t("case.answer_due")), el("dd", {}, timeEl(c.answer_due)));
    const fl = Object.keys(fields).length ? el("dl", { class: "facts fields" },
      ...Object.entries(fields).flatMap(([k, v]) => [el("dt", {}, raw(k)), el("dd", {}, raw(v))])) : null;
    const tl = el("ol", { class: "timeline", id: "timeline" }, ...(c.timeline || []).map((m) => {
      const proof = !m.counted ? ["uncounted", "proof.uncounted"] : m.receipt ? ["yes", "proof.yes"] : ["no", "proof.no"];
      const text = m.body && (m.body.text || (m.kind === "request" ? m.body.subject : ""));
      return el("li", { class: "msg msg-" + m.kind, "data-kind": m.kind },
        el("div", { class: "msg-head" },
          el("strong", {}, t("kind." + m.kind)), " ",
          el("span", { class: "proof proof-" + proof[0], role: "img", "aria-label": t("tl.proof") + ": " + t(proof[1]) },
            proof[0] === "yes" ? "✔ " : proof[0] === "no" ? "… " : "✖ ", t(proof[1]))),
        el("dl", { class: "facts msg-facts" },
          el("dt", {}, t("tl.from")), el("dd", {}, raw(m.from)),
          el("dt", {}, t("tl.sent")), el("dd", {}, timeEl(m.sent)),
          el("dt", {}, t("tl.receipt")), el("dd", {}, timeEl(m.receipt, "proof.no"))),
        text ? el("div", { class: "msg-text" }, raw(text, "p")) : null);
    }));
    const acts = allowed(c);
    let actions;
    const areaId = "act-text";
    if (S.me.role === "auditor") {
      actions = el("p", { class: "readonly", id: "readonly" }, t("actions.readonly", { role: t("role.auditor") }));
    } else if (!acts.length) {
      actions = el("p", {}, t("actions.none"));
    } else {
      const area = el("textarea", { id: areaId, rows: "3", oninput: (ev) => { S.drafts["act-" + id] = ev.target.value; } });
      area.value = S.drafts["act-" + id] || "";
      actions = el("div", { class: "actions" },
        el("label", { for: areaId }, t("actions.text")), area,
        el("div", { class: "buttons" }, ...acts.map((a) => el("button", { type: "button", id: "act-" + a,
          onclick: () => act(id, a, document.getElementById(areaId).value) }, t("act." + a)))));
    }
    setPage(el("p", {}, el("a", { href: c.requester === S.me.party ? "#/outbox" : "#/inbox" }, "← ", t("case.back"))),
      el("h1", {}, tn("case.title", { id: raw(c.id) })), dl,
      fl ? [el("h2", {}, t("case.fields")), fl] : null,
      el("section", { "aria-labelledby": "act-h" }, el("h2", { id: "act-h" }, t("actions.title")), actions),
      el("section", { "aria-labelledby": "tl-h" }, el("h2", { id: "tl-h" }, t("case.timeline")), tl));
  }

  /* ---- new case ------------------------------------------------------- */

  const CHECKS = {
    ip: (v) => /^(\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|[0-9a-fA-F:]*:[0-9a-fA-F:.]*(\/\d{1,3})?)$/.test(v) || "v.ip",
    date: (v) => /^\d{4}-\d{2}-\d{2}/.test(v) || "v.date",
    email: (v) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v) || "v.email",
    url: (v) => /^https?:\/\/\S+$/.test(v) || "v.url",
    domain: (v) => /^(?=.{1,253}$)([a-zA-Z0-9-]{1,63}\.)+[a-zA-Z]{2,63}\.?$/.test(v) || "v.domain",
    hash: (v) => /^([0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128})$/.test(v) || "v.hash",
  };

  function fieldInput(f) {
    const id = "field-" + f.name;
    const common = { id, name: f.name, required: f.required || null, "aria-describedby": id + "-err" };
    if (f.kind === "enum")
      return el("select", common, el("option", { value: "" }, t("new.choose")),
        ...f.values.map((v) => el("option", { value: v, "data-raw": true }, v)));
    const type = { date: "date", email: "email", url: "url" }[f.kind] || "text";
    return el("input", Object.assign({ type, maxlength: "4096", autocomplete: "off" }, common));
  }

  function fieldRow(id, label, input, required) {
    return el("div", { class: "field" },
      el("label", { for: id }, label, " ", el("span", { class: "req" }, "(", t(required ? "new.required" : "new.optional"), ")")),
      input, el("p", { class: "field-error", id: id + "-err", "aria-live": "polite" }));
  }

  async function pageNew() {
    const peersRes = await api("peers");
    if (!peersRes.ok) return failed(peersRes);
    const peers = peersRes.data.peers.map((p) => p.name);
    const form = el("form", { id: "new-case", novalidate: true, onsubmit: submitNew });
    const typeBox = el("div", { id: "type-box" });
    const fieldsBox = el("div", { id: "fields-box" });
    const peerSel = el("select", { id: "new-peer", required: true, onchange: () => loadTypes(peerSel.value, typeBox, fieldsBox) },
      el("option", { value: "" }, t("new.choose")), ...peers.map((p) => el("option", { value: p, "data-raw": true }, p)));
    form.append(fieldRow("new-peer", t("new.peer"), peerSel, true), typeBox, fieldsBox);
    const readonly = S.me.role === "auditor"
      ? el("p", { class: "readonly", id: "readonly" }, t("actions.readonly", { role: t("role.auditor") })) : null;
    setPage(el("h1", {}, t("new.title")), readonly, form);
    if (peers.length === 1) { peerSel.value = peers[0]; await loadTypes(peers[0], typeBox, fieldsBox); }
  }

  async function loadTypes(peer, typeBox, fieldsBox) {
    typeBox.replaceChildren();
    fieldsBox.replaceChildren();
    if (!peer) return;
    const res = await api("channels/" + encodeURIComponent(peer) + "/types");
    if (!res.ok) return failed(res);
    if (!res.data.in_force) { typeBox.append(el("p", { class: "warn" }, t("new.nocharter"))); return; }
    const types = res.data.types.filter((x) => x.name !== "ping");
    const sel = el("select", { id: "new-type", required: true, onchange: () => showFields(types.find((x) => x.name === sel.value), fieldsBox) },
      el("option", { value: "" }, t("new.choose")),
      ...types.map((x) => el("option", { value: x.name, "data-raw": true }, x.title + " (" + x.name + ")")));
    typeBox.append(fieldRow("new-type", t("new.type"), sel, true));
  }

  function showFields(type, box) {
    box.replaceChildren();
    if (!type) return;
    box.dataset.type = JSON.stringify(type);
    const tlp = el("select", { id: "new-tlp" }, ...TLPS.map((x) => el("option", { value: x, selected: x === type.tlp, "data-raw": true }, "TLP:" + x.toUpperCase())));
    box.append(
      fieldRow("new-subject", t("new.subject"), el("input", { id: "new-subject", type: "text", required: true, maxlength: "200", "aria-describedby": "new-subject-err" }), true),
      fieldRow("new-tlp", t("new.tlp"), tlp, false),
      el("fieldset", { class: "charter-fields" }, el("legend", {}, t("new.fields")),
        ...type.fields.map((f) => fieldRow("field-" + f.name,
          el("span", {}, raw(f.name), " — ", t("fk." + f.kind)), fieldInput(f), f.required))),
      fieldRow("new-text", t("new.text"), el("textarea", { id: "new-text", rows: "5", "aria-describedby": "new-text-err" }), false),
      el("button", { type: "submit", id: "new-submit" }, t("new.submit")));
  }

  /* Checks every field the way the charter will, before anything is sent. */
  function validate(type) {
    let ok = true;
    const mark = (id, key) => {
      const input = document.getElementById(id);
      const err = document.getElementById(id + "-err");
      input.setAttribute("aria-invalid", key ? "true" : "false");
      err.textContent = key ? t(key) : "";
      if (key && ok) input.focus();
      if (key) ok = false;
    };
    const subject = document.getElementById("new-subject").value.trim();
    mark("new-subject", !subject ? "v.required" : subject.length > 200 ? "v.toolong" : null);
    for (const f of type.fields) {
      const v = document.getElementById("field-" + f.name).value.trim();
      let key = null;
      if (!v && f.required) key = "v.required";
      else if (v && CHECKS[f.kind]) { const r = CHECKS[f.kind](v); key = r === true ? null : r; }
      if (v.length > 4096) key = "v.toolong";
      mark("field-" + f.name, key);
    }
    return ok;
  }

  async function submitNew(ev) {
    ev.preventDefault();
    const box = document.getElementById("fields-box");
    if (!box.dataset.type) return;
    const type = JSON.parse(box.dataset.type);
    if (!validate(type)) { setNotice("new.invalid", null, "error"); return; }
    const fields = {};
    for (const f of type.fields) {
      const v = document.getElementById("field-" + f.name).value.trim();
      if (v) fields[f.name] = v;
    }
    const body = { peer: document.getElementById("new-peer").value, type: type.name,
      subject: document.getElementById("new-subject").value.trim(), tlp: document.getElementById("new-tlp").value, fields };
    const text = document.getElementById("new-text").value.trim();
    if (text) body.text = text;
    const res = await api("cases", { method: "POST", body });
    if (!res.ok) return failed(res);
    S.notice = { key: "new.sent", kind: "ok", nodes: { id: raw(res.data.id) } };
    go("#/case/" + res.data.id);
  }

  /* ---- reports -------------------------------------------------------- */

  async function pageReports() {
    const q = "report?reciprocity=1&by=" + S.reportBy;
    const [res, peersRes] = await Promise.all([api(q), api("peers")]);
    if (!res.ok) return failed(res);
    if (!peersRes.ok) return failed(peersRes);
    const channels = res.data.channels.filter((c) => !c.attested_by);
    const attested = res.data.channels.filter((c) => c.attested_by);
    const bySel = select("report-by", "reports.by", ["month", "quarter", "year", "all"].map((b) => [b, t("by." + b)]),
      S.reportBy, (ev) => { S.reportBy = ev.target.value; pageReports(); });
    const chartBox = el("figure", { class: "chart", id: "chart" }, el("figcaption", {}, t("reports.chart")),
      el("div", { id: "chart-plot", "data-raw": true, role: "img", "aria-label": t("reports.chart") }));
    const tables = channels.concat(attested).map((c) => {
      const [d0, d1] = c.directions;
      return el("table", { class: "reciprocity", "data-period": c.period },
        el("caption", {}, tn("reports.channel", { a: raw(c.parties[0]), b: raw(c.parties[1]), period: raw(c.period) }),
          c.attested_by ? [" — ", tn("reports.attested", { by: raw(c.attested_by) })] : null),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("reports.metric")),
          el("th", { scope: "col" }, raw(d0.from + " → " + d0.to)), el("th", { scope: "col" }, raw(d1.from + " → " + d1.to)))),
        el("tbody", {}, ...METRICS.map((m) => el("tr", { "data-metric": m }, el("th", { scope: "row" }, t("metric." + m)),
          ...[d0, d1].map((d) => el("td", {}, m.endsWith("_s") ? fmtDuration(d[m]) : fmtNum(d[m])))))));
    });
    const exports = el("ul", { class: "exports" },
      el("li", {}, el("a", { href: "/api/v1/report?format=csv&by=" + S.reportBy, download: "parley-report.csv", id: "export-csv" }, t("export.csv"))),
      ...peersRes.data.peers.map((p) => el("li", {}, el("a", { href: "/api/v1/audit/" + encodeURIComponent(p.name), download: "audit-" + p.name + ".json", class: "export-audit" },
        tn("export.audit", { peer: raw(p.name) })))));
    setPage(el("h1", {}, t("reports.title")),
      (res.data.warnings || []).length ? el("p", { class: "warn", role: "alert" }, t("reports.warning")) : null,
      el("div", { class: "filters" }, bySel), chartBox,
      el("h2", {}, t("reports.table")),
      tables.length ? el("div", { class: "scroll tables" }, ...tables) : el("p", { class: "empty" }, t("reports.none")),
      el("h2", {}, t("reports.export")), exports);
    drawChart(channels);
  }

  /* One series per direction and measure (requests, answered) over the
   * periods; the x axis is the period's index, labelled with the period. */
  function drawChart(channels) {
    const box = document.getElementById("chart-plot");
    if (S.chart) { S.chart.destroy(); S.chart = null; }
    if (!box || !window.uPlot) return;
    const periods = [...new Set(channels.map((c) => c.period))].sort();
    const dirs = [];
    for (const c of channels) for (const d of c.directions) {
      const k = d.from + "→" + d.to;
      if (!dirs.includes(k)) dirs.push(k);
    }
    const xs = periods.map((p, i) => i);
    const data = [xs];
    const series = [{ label: t("reports.by") }];
    const colours = ["#1f5fa8", "#7fb0e6", "#b3541e", "#f0a774"];
    dirs.forEach((k, di) => {
      const [from, to] = k.split("→");
      for (const [mi, m] of ["requests", "answered"].entries()) {
        data.push(periods.map((p) => {
          const c = channels.find((x) => x.period === p && x.directions.some((d) => d.from === from && d.to === to));
          const d = c && c.directions.find((x) => x.from === from && x.to === to);
          return d ? d[m] : 0;
        }));
        series.push({ label: t("series." + m, { from, to }), stroke: colours[(di * 2 + mi) % 4], width: 2,
          fill: mi === 0 ? colours[(di * 2) % 4] + "22" : undefined, points: { show: true, size: 10 } });
      }
    });
    const width = Math.max(280, Math.min(900, box.clientWidth || 600));
    S.chart = new window.uPlot({
      width, height: 260, series,
      scales: { x: { time: false, range: (u, min, max) => [min - 0.5, max + 0.5] },
        y: { range: (u, min, max) => [0, Math.max(1, max) * 1.1] } },
      axes: [{ values: (u, vals) => vals.map((v) => (Number.isInteger(v) && periods[v]) || "") , splits: () => xs },
        { values: (u, vals) => vals.map((v) => fmtNum(v)) }],
    }, data, box);
    box.dataset.points = JSON.stringify(data.slice(1));
  }

  /* ---- peers ---------------------------------------------------------- */

  async function pagePeers() {
    const res = await api("peers");
    if (!res.ok) return failed(res);
    const head = ["peers.name", "peers.endpoint", "peers.reach", "peers.last_receipt", "peers.last_ping", "peers.backlog", "peers.fork"];
    const table = el("table", { class: "peers", id: "peers-table" },
      el("thead", {}, el("tr", {}, ...head.map((k) => el("th", { scope: "col" }, t(k))))),
      el("tbody", {}, ...res.data.peers.map((p) => el("tr", { "data-peer": p.name },
        el("td", {}, raw(p.name)), el("td", {}, raw(p.endpoint)),
        el("td", { class: p.reachable === false ? "bad" : null },
          p.reachable === null ? t("reach.unknown") : p.reachable ? t("reach.yes") : t("reach.no", { n: fmtNum(p.failures) }),
          p.last_error ? el("details", {}, el("summary", {}, t("err.details")), raw(p.last_error, "p")) : null),
        el("td", {}, timeEl(p.last_receipt, "never")),
        el("td", {}, timeEl(p.last_ping, "never")),
        el("td", {}, fmtNum(p.backlog), p.backlog ? [" (", t("peers.oldest", { age: fmtDuration(p.oldest_unreceipted_s) }), ")"] : null),
        el("td", { class: p.fork_evidence.length ? "bad" : null },
          p.fork_evidence.length ? t("fork.some", { n: fmtNum(p.fork_evidence.length) }) : t("fork.none"))))));
    setPage(el("h1", {}, t("peers.title")), el("div", { class: "scroll" }, table));
  }

  /* ---- live updates --------------------------------------------------- */

  async function poll() {
    try {
      if (S.me && !document.hidden) {
        const res = await api("changes");
        if (res.ok && res.data) {
          if (res.data.stamp !== S.stamp) {
            S.lastUpdate = new Date();
            await refresh(); // takes the new stamp itself
          }
        } else if (res.status === 401) {
          failed(res);
        }
      }
    } finally {
      setTimeout(poll, POLL_MS); // a failed redraw must not end the polling
    }
  }

  async function start() {
    const res = await api("session");
    if (res.ok && res.data.csrf) S.me = res.data;
    window.addEventListener("hashchange", () => {
      if (!S.keepNotice) S.notice = null;
      S.keepNotice = false;
      render();
    });
    window.addEventListener("resize", () => { if (route().name === "reports" && S.chart) pageReports(); });
    await render();
    setTimeout(poll, POLL_MS);
  }

  /* For the browser tests: the same path a button takes. */
  window.parleyConsole = { act, state: S };
  document.addEventListener("DOMContentLoaded", start);
})();
