// Loads the Yew app (wasm-bindgen's generated module). Kept in a file: the content security
// policy allows no inline scripts.
import init from './prongsai_frontend.js';
init();
