// The device Worker: a tablet's browser as a field device (prongsai-browser's wasm). The page
// starts it as a module Worker once someone chose to use this tablet as a device; it keeps the
// documents, the changes not yet confirmed and the session in IndexedDB, and answers the page's
// calls (see browser/src/worker.rs). A Worker that cannot start says so instead of staying mute.
import init, { start } from './prongsai_browser.js';

try {
  await init();
  await start();
} catch (e) {
  postMessage(JSON.stringify({ ready: false, error: { kind: 'other', message: 'the device did not start: ' + e } }));
}
