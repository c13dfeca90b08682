// "Copy" buttons: <button data-copy="input-id" data-copied="Copied">. Works without it, too: the
// field is selectable text.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector(".copy-status");
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    if (status) status.textContent = button.dataset.copied;
  } catch {
    document.execCommand("copy");
    if (status) status.textContent = button.dataset.copied;
  }
});
