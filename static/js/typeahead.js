// Suggestions while typing in a search box: <input data-suggest="/centers/1/find-people.json?kind=…">.
// Without this file the box is a plain search form (type, then Find); with it, a few matching names
// appear under the box as the person types, and choosing one runs the search at once.
(() => {
  const wait = 150;
  for (const input of document.querySelectorAll("input[data-suggest]")) {
    const list = document.createElement("datalist");
    list.id = `${input.id}-suggestions`;
    input.after(list);
    input.setAttribute("list", list.id);
    let timer = null;
    let offered = new Set();
    input.addEventListener("input", (event) => {
      const text = input.value.trim();
      // A suggestion picked from the list (no typing involved): search for it straight away.
      if (offered.has(input.value) && event.inputType !== "insertText" && event.inputType !== "deleteContentBackward") {
        input.form.requestSubmit();
        return;
      }
      clearTimeout(timer);
      if (text.length < 2) return;
      timer = setTimeout(async () => {
        const url = new URL(input.dataset.suggest, window.location.href);
        url.searchParams.set("q", text);
        try {
          const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
          if (!response.ok) return;
          const { people } = await response.json();
          list.replaceChildren(...people.map((person) => {
            const option = document.createElement("option");
            option.value = person.name;
            option.label = person.code;
            return option;
          }));
          offered = new Set(people.map((person) => person.name));
        } catch {
          // No suggestions is fine: the search form still works.
        }
      }, wait);
    });
  }
})();
