/* Support lookup (SUP-5): keyboard first — the box has the focus, Enter searches, "/" returns to it. */
(function () {
  'use strict';
  document.addEventListener('keydown', function (event) {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest && target.closest('input, textarea, select, [contenteditable]')) return;
    const box = document.querySelector('[data-support-search]');
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
  /* Ticket form: the billable notice shows before sending when an excluded category is chosen (SUP-2). */
  document.addEventListener('change', function (event) {
    if (!event.target.matches('[data-billable-codes] select[name=category]')) return;
    const form = event.target.closest('[data-billable-codes]');
    const codes = (form.getAttribute('data-billable-codes') || '').split(' ');
    const notice = form.querySelector('[data-billable-notice]');
    if (notice) notice.hidden = codes.indexOf(event.target.value) === -1;
  });
})();
