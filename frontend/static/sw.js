// The service worker: keeps the app shell (the page, its script and wasm, styles, fonts, icons)
// so that after one visit the app opens with the network off. The build stamps VERSION and
// SHELL (scripts/build-frontend.sh); a new build is a new worker, which replaces the old cache
// once installed. Data never comes from here: the API, sync, published reports and
// verification pages always go to the network.
const VERSION = '__VERSION__';
const SHELL = __SHELL__;
const CACHE = 'prongsai-shell-' + VERSION;

self.addEventListener('install', (event) => {
  // From the server itself, past any HTTP cache or proxy on the way: the new version's bytes.
  const fresh = SHELL.map((path) => new Request(path, { cache: 'reload' }));
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(fresh)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('prongsai-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope);
  const path = url.pathname.startsWith(scope.pathname) ? url.pathname.slice(scope.pathname.length) : null;
  if (path === null) return;
  // The app's page itself (every page of the app is this one page, told apart by its fragment).
  const shell = request.mode === 'navigate' ? (path === '' || path === 'index.html' ? './' : null) : (SHELL.includes(path) ? path : null);
  if (shell === null) return;
  event.respondWith(
    caches.open(CACHE).then((cache) => cache.match(shell).then((hit) => hit || fetch(request))),
  );
});
