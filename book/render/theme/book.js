// The web edition's script: offline reading once served, glossary definitions that open on
// a tap, a click or Enter, and the search page (Pagefind's index, made at build time).
// Every page works without it: a glossary term is a link to its entry, and the contents
// lead to every chapter.
(() => {
  "use strict";

  // The builder's words in the book's language (the page carries them: i18n.script_words);
  // a plural is picked by the language's plural rules, numbers written as it writes them.
  const lang = document.documentElement.lang;
  const words = JSON.parse(document.getElementById("book-words").textContent);
  const say = (key, values = {}) => {
    let text = words[key];
    if (typeof text === "object") {
      text = text[new Intl.PluralRules(lang).select(values.count)] ?? text.other;
    }
    return text.replace(/%\((\w+)\)s/g, (_, name) =>
      typeof values[name] === "number" ? values[name].toLocaleString(lang) : values[name]);
  };

  // Offline reading and search: over http(s), a service worker (sw.js) keeps the edition
  // in the browser. A `book serve` preview changes on every save, so there none is kept,
  // and one left on the same address by a published copy is removed.
  if ("serviceWorker" in navigator && /^https?:$/.test(location.protocol)) {
    const workers = navigator.serviceWorker;
    if (document.querySelector('meta[name="book-preview"]')) {
      workers.getRegistrations().then(async (all) => {
        const removed = await Promise.all(all.map((registration) => registration.unregister()));
        if (removed.includes(true) && workers.controller) location.reload(); // a fresh copy
      });
    } else {
      workers.register(new URL("sw.js", document.baseURI)).catch((error) => {
        console.warn(`This book will not be kept for offline reading (${error.message}).`);
      });
    }
  }

  // Glossary terms: the link gets aria-expanded and opens its definition beside it (a
  // disclosure), with a link on to the entry; Escape or a tap elsewhere closes it.
  let open = null;
  const close = (refocus) => {
    if (!open) return;
    const { link, box } = open;
    link.setAttribute("aria-expanded", "false");
    box.hidden = true;
    open = null;
    if (refocus) link.focus();
  };
  document.querySelectorAll("a.glossary-term[title]").forEach((link, index) => {
    const box = document.createElement("span");
    box.className = "glossary-popup";
    box.id = `glossary-popup-${index + 1}`;
    box.setAttribute("role", "note");
    box.hidden = true;
    const definition = document.createElement("span");
    definition.textContent = link.title;
    const entry = document.createElement("a");
    entry.href = link.getAttribute("href");
    entry.textContent = say("glossary-entry");
    box.append(definition, " ", entry);
    link.removeAttribute("title"); // the definition is in the page now: no second tooltip
    link.setAttribute("aria-expanded", "false");
    link.setAttribute("aria-controls", box.id);
    link.after(box);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const wasOpen = open && open.link === link;
      close(false);
      if (wasOpen) return;
      box.hidden = false;
      link.setAttribute("aria-expanded", "true");
      open = { link, box };
    });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close(true);
  });
  document.addEventListener("click", (event) => {
    if (open && !open.box.contains(event.target) && !open.link.contains(event.target)) {
      close(false);
    }
  });

  // The search page.
  const results = document.getElementById("search-results");
  if (!results) return;
  const status = document.getElementById("search-status");
  const input = document.getElementById("search-query");
  const form = input.form;
  if (location.protocol === "file:") {
    status.textContent = say("search-on-disk");
    return;
  }
  let engine = null;
  const load = async () => {
    if (!engine) {
      const root = new URL("./", document.baseURI);
      engine = await import(new URL("pagefind/pagefind.js", root).href);
      await engine.options({ baseUrl: root.pathname });
      await engine.init();
    }
    return engine;
  };
  const item = (page) => {
    const li = document.createElement("li");
    const heading = document.createElement("h2");
    const link = document.createElement("a");
    link.href = page.url;
    link.textContent = page.meta.title || page.url;
    heading.append(link);
    li.append(heading);
    const places = document.createElement("ul");
    for (const place of (page.sub_results || []).slice(0, 3)) {
      const entry = document.createElement("li");
      const to = document.createElement("a");
      to.href = place.url;
      to.textContent = place.title;
      const excerpt = document.createElement("p");
      excerpt.innerHTML = place.excerpt; // Pagefind's own escaped text with <mark>s
      entry.append(to, excerpt);
      places.append(entry);
    }
    li.append(places);
    return li;
  };
  const run = async (query) => {
    results.replaceChildren();
    if (!query.trim()) {
      status.textContent = "";
      return;
    }
    status.textContent = say("searching");
    results.setAttribute("aria-busy", "true"); // assistive tech waits until it is false
    try {
      const found = await (await load()).search(query);
      const pages = await Promise.all(found.results.slice(0, 20).map((r) => r.data()));
      results.replaceChildren(...pages.map(item));
      const count = found.results.length;
      status.textContent = count === 0 ? say("search-none", { query })
        : say("search-found", { count, query });
    } catch (error) {
      status.textContent = say("search-failed", { error: error.message });
    } finally {
      results.setAttribute("aria-busy", "false");
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const url = new URL(location.href);
    url.searchParams.set("q", input.value);
    history.replaceState(null, "", url);
    run(input.value);
  });
  const query = new URLSearchParams(location.search).get("q") || "";
  input.value = query;
  run(query);
})();
