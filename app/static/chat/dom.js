/*
 * DOM helpers. Text only: every piece of text, ours or the server's, goes in through textContent or a text node,
 * never through innerHTML.
 */

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function txt(value) {
  return document.createTextNode(String(value));
}

export function attrs(node, map) {
  Object.keys(map).forEach((key) => node.setAttribute(key, map[key]));
  return node;
}

// The element that has the focus in the tree of `node`: in the widget that is a shadow root, not the document.
export function activeElement(node) {
  return (node.getRootNode ? node.getRootNode() : document).activeElement;
}

export function svgIcon(paths, className) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  attrs(svg, { viewBox: "0 0 24 24", width: "20", height: "20", "aria-hidden": "true", focusable: "false" });
  if (className) svg.setAttribute("class", className);
  paths.forEach((d) => {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.appendChild(path);
  });
  return svg;
}

export const ICONS = {
  send: ["M3.4 20.4 21 12 3.4 3.6 3.4 10.1 15 12 3.4 13.9z"],
  close: ["M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"],
  doc: ["M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5zM8 13h8v-1.6H8zm0 4h8v-1.6H8z"],
  alert: ["M12 2 1 21h22zm1 14h-2v-2h2zm0-4h-2V8h2z"],
  plus: ["M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6v2z"],
  filter: [
    "M4.3 5.6C6.3 8.2 10 13 10 13v6c0 .6.4 1 1 1h2c.6 0 1-.4 1-1v-6s3.7-4.8 5.7-7.4A1 1 0 0 0 19 4H5c-.8 0-1.3 1-.7 1.6z"
  ],
  followUp: ["M19 15l-6 6-1.4-1.4 3.6-3.6H4V4h2v10h9.2l-3.6-3.6L13 9z"],
  search: ["M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z"],
  // 👍 and 👎 drawn, not typed: emoji depend on the fonts of the reader's system.
  thumbUp: [
    "M1 21h4V9H1zm22-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.5-1.1L14.2 1 7.6 7.6C7.2 8 7 8.5 7 9v10a2 2 0 0 0 " +
      "2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7z"
  ],
  thumbDown: [
    "M15 3H6c-.8 0-1.5.5-1.8 1.2l-3 7.1c-.1.2-.2.5-.2.7v2a2 2 0 0 0 2 2h6.3l-1 4.6v.3c0 .4.2.8.5 1.1L9.8 23l6.6-6.6" +
      "c.4-.4.6-.9.6-1.4V5a2 2 0 0 0-2-2zm4 0v12h4V3z"
  ]
};
