/* Partnerportal: the small behaviour every page shares (UI-1). No build step, no inline scripts (so a strict
   Content-Security-Policy with script-src 'self' keeps working). Everything also works without JavaScript;
   this file adds: the phone menu, overlays that trap focus and return it, confirmations, focus that stays
   where it was after htmx swaps and sorts, announcements in a live region, running monthly totals, and the
   "new customer / existing customer" switch of the new-tenant form. */
(function () {
  'use strict';

  const FOCUSABLE = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), ' +
    'textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), summary';

  function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) && !el.closest('[hidden]');
  }

  function announce(text) {
    const region = document.getElementById('live-region');
    if (!region || !text) return;
    region.textContent = '';
    // A new text node after a tick: screen readers announce a change, also of the same words.
    window.setTimeout(function () { region.textContent = text; }, 60);
  }

  /* --- Phone menu: the header collapses to a button below 760px (CSS decides when it shows). --- */
  function initMenu() {
    const toggle = document.querySelector('.menu-toggle');
    const menu = document.getElementById('site-menu');
    if (!toggle || !menu) return;
    toggle.hidden = false;
    document.documentElement.classList.add('js');
    toggle.addEventListener('click', function () {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      document.body.classList.toggle('menu-open', open);
      if (open) {
        const first = menu.querySelector(FOCUSABLE);
        if (first) first.focus();
      }
    });
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && document.body.classList.contains('menu-open') && !overlayOpen()) {
        toggle.setAttribute('aria-expanded', 'false');
        document.body.classList.remove('menu-open');
        toggle.focus();
      }
    });
  }

  /* --- Overlays (htmx fills #overlay) --- */
  let opener = null;
  let openerKey = null;

  function host() { return document.getElementById('overlay'); }
  function overlayOpen() { const h = host(); return !!(h && h.firstElementChild); }

  function focusKey(el) {
    if (!el || el === document.body) return null;
    return el.getAttribute('data-focus-id') || el.id || null;
  }

  function findByKey(key, root) {
    if (!key) return null;
    root = root || document;
    return root.querySelector('[data-focus-id="' + CSS.escape(key) + '"]') || document.getElementById(key);
  }

  function setInert(on) {
    const h = host();
    Array.prototype.forEach.call(document.body.children, function (child) {
      if (child === h || child.id === 'live-region' || child.tagName === 'SCRIPT') return;
      if (on) child.setAttribute('inert', ''); else child.removeAttribute('inert');
    });
  }

  function focusInOverlay(dialog) {
    // The first field of a form; a read-only overlay focuses its heading — never a (destructive) button.
    const field = dialog.querySelector('input:not([type=hidden]):not([disabled]):not([type=checkbox][data-no-autofocus]), select:not([disabled]), textarea:not([disabled])');
    if (field && visible(field)) { field.focus(); return; }
    const heading = dialog.querySelector('h1, h2');
    if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus(); return; }
    dialog.setAttribute('tabindex', '-1');
    dialog.focus();
  }

  function openOverlay() {
    const dialog = host().querySelector('[data-overlay]');
    if (!dialog) return;
    setInert(true);
    document.documentElement.classList.add('overlay-open');
    focusInOverlay(dialog.querySelector('.card') || dialog);
  }

  function closeOverlay(options) {
    const h = host();
    if (!h || !h.firstElementChild) return;
    h.innerHTML = '';
    setInert(false);
    document.documentElement.classList.remove('overlay-open');
    if (options && options.reload) { window.location.reload(); return; }
    let target = opener && opener.isConnected ? opener : findByKey(openerKey);
    if (target) target.focus();
    opener = null;
    openerKey = null;
  }

  function trapTab(event) {
    if (event.key !== 'Tab' || !overlayOpen()) return;
    const dialog = host().querySelector('[data-overlay]');
    if (!dialog) return;
    const items = Array.prototype.filter.call(dialog.querySelectorAll(FOCUSABLE), visible);
    if (!items.length) { event.preventDefault(); return; }
    const first = items[0];
    const last = items[items.length - 1];
    const active = document.activeElement;
    if (!dialog.contains(active)) { event.preventDefault(); first.focus(); return; }
    if (event.shiftKey && (active === first || !items.includes(active))) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && active === last) { event.preventDefault(); first.focus(); }
  }

  function initOverlays() {
    const h = host();
    if (!h) return;
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && overlayOpen()) { event.preventDefault(); closeOverlay(); }
      trapTab(event);
    });
    h.addEventListener('click', function (event) {
      const reload = event.target.closest('[data-close-reload]');
      if (reload) { event.preventDefault(); closeOverlay({ reload: true }); return; }
      if (event.target.matches('[data-overlay]') || event.target.closest('[data-close]')) {
        event.preventDefault();
        closeOverlay();
      }
    });
    // Remember who opened the overlay, before htmx sends the request.
    document.body.addEventListener('htmx:beforeRequest', function (event) {
      const elt = event.detail.elt;
      const target = event.detail.target;
      if (target === h && !h.contains(elt)) {
        opener = elt;
        openerKey = focusKey(elt);
      }
    });
  }

  /* --- Focus and announcements around htmx swaps --- */
  let focusBefore = null;

  function initSwaps() {
    document.body.addEventListener('htmx:beforeSwap', function (event) {
      const active = document.activeElement;
      focusBefore = null;
      if (active && active !== document.body && event.detail.target && event.detail.target.contains(active)) {
        focusBefore = { key: focusKey(active), name: active.getAttribute('name'), href: active.getAttribute('href') };
      }
    });
    document.body.addEventListener('htmx:afterSettle', function (event) {
      const target = event.detail.target;
      if (!target) return;
      if (target === host()) {
        if (overlayOpen()) openOverlay(); else closeOverlay();
        return;
      }
      if (target.id === 'nav-bell' || (target.closest && target.closest('#nav-bell'))) return;
      const announcement = target.querySelector('[data-announce]');
      if (announcement) announce(announcement.getAttribute('data-announce'));
      if (focusBefore && (document.activeElement === document.body || !document.activeElement)) {
        let again = findByKey(focusBefore.key, target);
        if (!again && focusBefore.name) again = target.querySelector('[name="' + CSS.escape(focusBefore.name) + '"]');
        if (!again) { target.setAttribute('tabindex', '-1'); again = target; }
        again.focus();
      }
      focusBefore = null;
    });
  }

  /* --- Confirmations: data-confirm on a form (or its submit button) asks before sending --- */
  function initConfirm() {
    document.addEventListener('submit', function (event) {
      const form = event.target;
      const button = event.submitter;
      const text = (button && button.getAttribute('data-confirm')) || form.getAttribute('data-confirm');
      if (text && !window.confirm(text)) { event.preventDefault(); event.stopImmediatePropagation(); }
    }, true);
  }

  /* --- Running monthly totals where services are picked --- */
  function formatEuro(value) {
    const lang = document.documentElement.lang || 'de';
    return new Intl.NumberFormat(lang === 'de' ? 'de-DE' : 'en-GB', { style: 'currency', currency: 'EUR' }).format(value);
  }

  function updateTotals(root) {
    (root || document).querySelectorAll('[data-running-total]').forEach(function (output) {
      const form = output.closest('form');
      if (!form) return;
      let total = 0;
      form.querySelectorAll('[data-price]').forEach(function (item) {
        const price = parseFloat(item.getAttribute('data-price')) || 0;
        if (item.matches('input[type=checkbox]') && !item.checked && !item.hasAttribute('data-fixed')) return;
        const row = item.closest('[data-line]');
        let quantity = 1;
        let discount = 0;
        if (row) {
          const q = row.querySelector('[data-quantity]');
          const d = row.querySelector('[data-discount]');
          quantity = q ? Math.max(0, parseFloat(q.value) || 0) : 1;
          discount = d ? Math.min(100, Math.max(0, parseFloat((d.value || '0').replace(',', '.')) || 0)) : 0;
        }
        total += price * quantity * (1 - discount / 100);
      });
      output.textContent = formatEuro(Math.round(total * 100) / 100);
    });
  }

  function initTotals() {
    document.addEventListener('change', function (event) { if (event.target.closest('form')) updateTotals(); });
    document.addEventListener('input', function (event) { if (event.target.closest('[data-line]')) updateTotals(); });
    document.body.addEventListener('htmx:afterSettle', function () { updateTotals(); });
    updateTotals();
  }

  /* --- Forms whose parts depend on a choice (data-choice-for / data-choice) --- */
  function syncChoices() {
    document.querySelectorAll('[data-choice-group]').forEach(function (group) {
      const name = group.getAttribute('data-choice-group');
      const chosen = document.querySelector('input[name="' + CSS.escape(name) + '"]:checked');
      group.querySelectorAll('[data-choice]').forEach(function (part) {
        part.hidden = !!chosen && part.getAttribute('data-choice') !== chosen.value;
      });
    });
  }

  function initChoices() {
    document.addEventListener('change', function (event) {
      if (event.target.matches('input[type=radio]')) syncChoices();
    });
    syncChoices();
  }

  document.addEventListener('DOMContentLoaded', function () {
    initMenu();
    initOverlays();
    initSwaps();
    initConfirm();
    initTotals();
    initChoices();
    if (overlayOpen()) openOverlay();
  });
})();
