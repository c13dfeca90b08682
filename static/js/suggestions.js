// A version's page: fetch the suggestions for the people left out after the page has shown (they take
// seconds to find at 600 people). Without this script the page's link opens them on a page of their own.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("suggestions");
  if (!box || !box.dataset.suggestionsUrl) return;
  box.setAttribute("aria-busy", "true");
  fetch(box.dataset.suggestionsUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
    .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
    .then((html) => {
      const parsed = new DOMParser().parseFromString(html, "text/html");
      const list = parsed.querySelector(".suggestion-list");
      if (list) box.replaceChildren(document.importNode(list, true));
    })
    .catch(() => { /* the link stays: it opens the same list on its own page */ })
    .finally(() => box.removeAttribute("aria-busy"));
});
