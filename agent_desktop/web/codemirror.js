// The CodeMirror 6 parts the admin flow editor uses (YAML mode, lint markers), bundled by `npm run vendor`
// into ../static/vendor/codemirror.min.js as the global `CM`.
export { EditorView, basicSetup } from "codemirror";
export { EditorState, StateEffect, StateField } from "@codemirror/state";
export { Decoration, keymap } from "@codemirror/view";
export { yaml } from "@codemirror/lang-yaml";
export { linter, lintGutter, setDiagnostics } from "@codemirror/lint";
