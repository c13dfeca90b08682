// "Copy" buttons: <button data-copy="element-id" data-copied="Copied">. The element is a text field
// (its value is copied) or any other element (its text). Works without it, too: the text is
// selectable.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector(".copy-status");
  const text = field.value !== undefined ? field.value : field.textContent.trim();
  if (field.select) field.select();
  else window.getSelection().selectAllChildren(field);
  try {
    await navigator.clipboard.writeText(text);
    if (status) status.textContent = button.dataset.copied;
  } catch {
    document.execCommand("copy");
    if (status) status.textContent = button.dataset.copied;
  }
});
