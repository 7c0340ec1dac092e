// The web edition's service worker: once a page has been loaded over http(s), the whole
// edition (pages, images, fonts and Pagefind's index, which search fetches piece by piece)
// is kept in the browser, so reading and search go on offline. The builder puts VERSION
// (a digest of the files) and FILES (their paths) above this text: a new edition gets a new
// cache, and the old one is deleted once the new one is complete (the builder's header
// also holds the "use strict" directive, which only counts first).

const PREFIX = `book:${self.registration.scope}:`; // several books can share one origin
const CACHE = PREFIX + VERSION;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Straight from the server, never from the HTTP cache: all files of one edition, or none.
    const responses = await Promise.all(FILES.map(async (file) => {
      const response = await fetch(new Request(file, { cache: "reload" }));
      if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
      return response;
    }));
    // A host that redirects page.html to page: browsers refuse a response marked as
    // redirected for a page's address, so the copy kept is a plain one.
    await Promise.all(responses.map(async (response, i) => cache.put(FILES[i],
      response.redirected ? new Response(await response.blob(), response) : response)));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim(); // the page that registered the worker is served too
  })());
});

// Cache first: a file of the edition comes from the cache (the query, such as search's
// ?q=, ignored; a folder's address is its index.html), anything else from the network.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !url.href.startsWith(self.registration.scope)) return;
  if (url.pathname.endsWith("/")) url.pathname += "index.html";
  url.search = "";
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    return (await cache.match(url.href)) || fetch(event.request);
  })());
});
