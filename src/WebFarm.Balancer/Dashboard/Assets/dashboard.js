// WebFarm dashboard: live cells, fragments, the event stream and confirmed actions.
// Plain JavaScript served by the balancer itself (no build step, no CDN). Everything it shows comes either as
// server-rendered HTML (fragments, already encoded) or is written with textContent.
'use strict';
(() => {
  const body = document.body;
  const csrf = document.querySelector('meta[name="webfarm-csrf"]')?.content ?? '';
  const live = document.getElementById('live');

  function setLive(text, state) {
    if (live && live.textContent !== text) {
      live.textContent = text;
      live.className = 'live ' + state;
    }
  }

  async function call(method, url, payload) {
    const headers = { 'X-WebFarm-Csrf': csrf };
    const init = { method, headers, credentials: 'same-origin' };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(payload);
    }
    const response = await fetch(url, init);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    return { ok: response.ok, status: response.status, data, text };
  }

  async function get(url) {
    const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html, application/json' } });
    if (response.status === 401) {
      location.assign('/dashboard/login');
      return null;
    }
    return response.ok ? response : null;
  }

  // ---- Live cells: elements with data-k="farm|server|field" get their text and class from /dashboard/data/cells.
  const farms = document.getElementById('farms');
  let cellsBusy = false;

  async function refreshCells() {
    if (cellsBusy || !document.querySelector('[data-k]')) {
      return;
    }
    cellsBusy = true;
    try {
      const response = await get('/dashboard/data/cells');
      if (!response) {
        return;
      }
      const data = await response.json();
      setLive('live', 'ok');
      if (farms && data.structure !== farms.dataset.structure) {
        await refreshFarms();
        return;
      }
      for (const element of document.querySelectorAll('[data-k]')) {
        const key = element.dataset.k;
        if (!(key in data.cells)) {
          continue;
        }
        if (!key.endsWith('|row') && element.textContent !== data.cells[key]) {
          element.textContent = data.cells[key];
        }
        const cls = data.classes[key] || '';
        if (element.className !== cls) {
          element.className = cls;
        }
      }
    } catch {
      setLive('reconnecting…', 'warn');
    } finally {
      cellsBusy = false;
    }
  }

  // A farm or server was added or removed: fetch the tables again (the only time they are replaced whole).
  async function refreshFarms() {
    const response = await get(farms.dataset.structureFragment);
    if (response) {
      farms.dataset.structure = response.headers.get('X-WebFarm-Structure') ?? '';
      farms.innerHTML = await response.text();
    }
  }

  // ---- Fragments: server-rendered parts (charts, health checks, availability) fetched again every data-every ms.
  const fragmentTimes = new WeakMap();

  async function refreshFragments() {
    const now = Date.now();
    for (const element of document.querySelectorAll('[data-fragment]')) {
      const every = Number(element.dataset.every || 5000);
      const last = fragmentTimes.get(element) ?? (element.hasAttribute('aria-busy') ? 0 : now);
      if (!fragmentTimes.has(element)) {
        fragmentTimes.set(element, last);
      }
      if (now - last < every) {
        continue;
      }
      fragmentTimes.set(element, now);
      try {
        const response = await get(element.dataset.fragment);
        if (response) {
          const html = await response.text();
          if (element.dataset.html !== html) {
            element.dataset.html = html;
            element.innerHTML = html;
          }
          element.removeAttribute('aria-busy');
          setLive('live', 'ok');
        }
      } catch {
        setLive('reconnecting…', 'warn');
      }
    }
  }

  // ---- Events: one EventSource; each list (ol[data-events]) shows the newest N that match its farm/server.
  const lists = [...document.querySelectorAll('ol[data-events]')];
  const filtered = document.querySelector('ol[data-filtered]');
  const all = [];
  const held = [];
  let paused = false;
  let lastSequence = 0;
  let cellsSoon = 0;

  function eventItem(e) {
    const item = document.createElement('li');
    item.className = 'event kind-' + e.kind;
    item.dataset.sequence = String(e.sequence);
    const time = document.createElement('time');
    time.dateTime = e.time;
    time.textContent = e.time.substring(11, 19);
    time.title = e.time;
    const kind = document.createElement('span');
    kind.className = 'kind';
    kind.textContent = e.kind;
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = [e.farm, e.server].filter(Boolean).join('/') || 'balancer';
    const message = document.createElement('span');
    message.className = 'message';
    message.textContent = e.message;
    item.append(time, ' ', kind, ' ', where, ' ', message);
    return item;
  }

  function matches(list, e) {
    const farm = list === filtered ? document.getElementById('filter-farm').value : list.dataset.farm;
    const server = list === filtered ? document.getElementById('filter-server').value : list.dataset.server;
    const kind = list === filtered ? document.getElementById('filter-kind').value : '';
    return (!farm || e.farm === farm) && (!server || e.server === server) && (!kind || e.kind === kind);
  }

  function show(list, e) {
    if (!matches(list, e)) {
      return;
    }
    list.prepend(eventItem(e));
    const max = Number(list.dataset.events);
    while (list.children.length > max) {
      list.lastElementChild.remove();
    }
  }

  function renderFiltered() {
    filtered.replaceChildren();
    for (const e of all) {
      show(filtered, e);
    }
  }

  function onEvent(message) {
    const e = JSON.parse(message.data);
    // A reconnect replays from the page's first ?since=: keep only what is new.
    if (e.sequence <= lastSequence && e.kind !== 'events-lost') {
      return;
    }
    lastSequence = Math.max(lastSequence, e.sequence);
    if (filtered) {
      all.push(e);
      if (all.length > 5000) {
        all.shift();
      }
    }
    if (paused) {
      held.push(e);
      document.getElementById('held').textContent = held.length + ' new event(s) held';
    } else {
      for (const list of lists) {
        show(list, e);
      }
    }
    clearTimeout(cellsSoon);
    cellsSoon = setTimeout(refreshCells, 100);
  }

  function connect() {
    const last = Number(body.dataset.lastEvent || 0);
    const wanted = lists.some(l => l.dataset.server) ? last : Math.max(...lists.map(l => Number(l.dataset.events)));
    const source = new EventSource('/dashboard/api/events/stream?since=' + Math.max(0, last - wanted));
    source.onopen = () => setLive('live', 'ok');
    source.onerror = () => setLive('reconnecting…', 'warn');
    for (const kind of (body.dataset.kinds || '').split(' ')) {
      if (kind) {
        source.addEventListener(kind, onEvent);
      }
    }
  }

  if (filtered) {
    for (const id of ['filter-farm', 'filter-server', 'filter-kind']) {
      document.getElementById(id).addEventListener('change', renderFiltered);
    }
    const pause = document.getElementById('pause');
    pause.addEventListener('click', () => {
      paused = !paused;
      pause.setAttribute('aria-pressed', String(paused));
      pause.textContent = paused ? 'Resume' : 'Pause';
      if (!paused) {
        for (const e of held.splice(0)) {
          for (const list of lists) {
            show(list, e);
          }
        }
        document.getElementById('held').textContent = '';
      }
    });
    document.getElementById('clear').addEventListener('click', () => {
      all.length = 0;
      held.length = 0;
      filtered.replaceChildren();
      document.getElementById('held').textContent = '';
    });
  }

  // ---- Actions: every button and the weight form ask first, then call the admin API and say what happened.
  const dialog = document.getElementById('confirm');
  const result = document.getElementById('result');

  function confirmAction(question) {
    return new Promise(resolve => {
      document.getElementById('confirm-text').textContent = question;
      dialog.returnValue = '';
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
      dialog.showModal();
    });
  }

  function report(label, response) {
    const d = response.data;
    let text;
    if (!response.ok) {
      text = label + ' refused (' + response.status + '): ' + (d && d.error ? d.error : response.text);
    } else if (d && 'reason' in d && 'healthy' in d) {
      text = 'Health check ' + (d.healthy ? 'passed' : 'failed') + ': ' + (d.statusCode ?? 'no response') + ' in ' + d.latencyMs + ' ms (' + d.reason + ')';
    } else if (d && 'state' in d) {
      text = label + ': done. ' + d.name + ' is ' + d.state + ', weight ' + d.weight + ', ' + d.inFlight + ' in flight.';
    } else {
      text = label + ': done.';
    }
    result.textContent = text;
    result.className = 'result ' + (response.ok ? 'ok' : 'bad');
    refreshCells();
  }

  async function act(label, question, method, url, payload, focus) {
    if (!await confirmAction(question)) {
      result.textContent = label + ': cancelled.';
      result.className = 'result';
      focus.focus();
      return;
    }
    result.textContent = label + ': working…';
    result.className = 'result';
    try {
      report(label, await call(method, url, payload));
    } catch (error) {
      result.textContent = label + ' failed: ' + error.message;
      result.className = 'result bad';
    }
    focus.focus();
  }

  if (dialog && result) {
    for (const button of document.querySelectorAll('.actions button[data-url]')) {
      button.addEventListener('click', () => act(button.textContent, button.dataset.confirm, button.dataset.method, button.dataset.url, undefined, button));
    }
    const weightForm = document.querySelector('form.weight');
    weightForm.addEventListener('submit', event => {
      event.preventDefault();
      const input = weightForm.querySelector('input');
      const weight = Number(input.value);
      act('Set weight', 'Set the weight to ' + weight + '?', 'PUT', weightForm.dataset.url, { weight }, input);
    });
  }

  const logout = document.getElementById('logout');
  if (logout) {
    logout.addEventListener('click', async () => {
      await call('POST', '/dashboard/logout');
      location.assign('/dashboard/login');
    });
  }

  if (body.dataset.page !== 'login') {
    if (lists.length > 0) {
      connect();
    }
    refreshCells();
    refreshFragments();
    setInterval(refreshCells, 2000);
    setInterval(refreshFragments, 1000);
  }
})();
