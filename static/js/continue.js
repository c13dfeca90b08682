// After the password was given again: send the form it interrupted at once. Without this script the
// page's button does the same.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("continue-form");
  if (form) form.submit();
});
