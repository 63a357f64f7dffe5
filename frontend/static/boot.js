// Loads the Yew app (wasm-bindgen's generated module). Kept in a file: the content security
// policy allows no inline scripts.
//
// What went wrong on the page (script errors, rejected promises, console errors) is kept in
// window.__pageErrors (the last 50) for support to read, and for the tests: a webview's driver
// has no console log to ask.
const pageErrors = (window.__pageErrors = []);
const keep = (text) => { pageErrors.push(String(text)); if (pageErrors.length > 50) pageErrors.shift(); };
window.addEventListener('error', (e) => keep(e.message || e.type));
window.addEventListener('unhandledrejection', (e) => keep(e.reason));
const consoleError = console.error.bind(console);
console.error = (...args) => { keep(args.join(' ')); consoleError(...args); };

// A browser that works as a device (chosen at sign-in: "use this tablet as a device") starts
// its device Worker now, so the Worker's wasm loads beside the page's rather than after it. The
// page takes the Worker over (frontend/src/backend/worker.rs) with everything it said meanwhile.
try {
  if (localStorage.getItem('prongsai.device') === 'true' && 'Worker' in window) {
    const worker = new Worker('./device-worker.js', { type: 'module' });
    const heard = [];
    worker.onmessage = (e) => heard.push({ data: e.data });
    worker.onerror = () => heard.push({ error: true });
    window.__prongsaiDevice = { worker, heard };
  }
} catch (e) {
  keep('device: ' + e);
}

import init from './prongsai_frontend.js';
init();

// In a browser (not the app's webview), the service worker keeps the app's files so it opens
// without the network after one visit. Browsers allow one only on HTTPS or this machine.
// The app's webview (window.__TAURI__; http://tauri.localhost on Windows and Android) carries its
// files with it and must never keep an old build's.
const inApp = '__TAURI__' in window || location.hostname === 'tauri.localhost';
if (!inApp && 'serviceWorker' in navigator && (location.protocol === 'https:' || location.protocol === 'http:')) {
  navigator.serviceWorker.register('./sw.js').catch((e) => {
    if (window.isSecureContext) keep('service worker: ' + e);
  });
}
