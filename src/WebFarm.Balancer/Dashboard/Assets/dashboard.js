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
    for (const weightForm of document.querySelectorAll('form.weight')) {
      weightForm.addEventListener('submit', event => {
        event.preventDefault();
        const input = weightForm.querySelector('input');
        const weight = Number(input.value);
        act('Set weight', 'Set the weight to ' + weight + '?', 'PUT', weightForm.dataset.url, { weight }, input);
      });
    }
  }

  // ---- Trace (the controller's dashboard): the merged trace, followed live by polling what is after the last id.
  const trace = document.getElementById('trace');

  function traceLine(r) {
    const item = document.createElement('li');
    item.dataset.id = String(r.id);
    const time = document.createElement('time');
    time.dateTime = r.time;
    time.textContent = r.time.substring(11, 23);
    time.title = r.time;
    const server = document.createElement('span');
    server.className = 'where';
    server.textContent = r.server;
    const source = document.createElement('span');
    source.className = 'kind';
    source.textContent = r.source;
    const message = document.createElement('span');
    message.className = 'message';
    message.textContent = r.message;
    item.append(time, ' ', server, ' ', source, ' ', message);
    return item;
  }

  if (trace) {
    const serverSelect = document.getElementById('trace-server');
    const filterInput = document.getElementById('trace-filter');
    const follow = document.getElementById('trace-follow');
    const status = document.getElementById('trace-status');
    const maxLines = 2000;
    let after = 0;
    let following = true;
    let busy = false;
    let generation = 0;
    let typing = 0;

    const query = () => {
      const params = new URLSearchParams({ after: String(after) });
      if (serverSelect.value) {
        params.set('server', serverSelect.value);
      }
      if (filterInput.value) {
        params.set('filter', filterInput.value);
      }
      return '/dashboard/api/trace?' + params;
    };

    const poll = async () => {
      if (!following || busy) {
        return;
      }
      busy = true;
      const mine = generation;
      try {
        const response = await get(query());
        if (!response || mine !== generation) {
          return;
        }
        const records = await response.json();
        if (mine !== generation) {
          return;
        }
        const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
        for (const r of records) {
          trace.append(traceLine(r));
          after = Math.max(after, r.id);
        }
        while (trace.children.length > maxLines) {
          trace.firstElementChild.remove();
        }
        if (records.length > 0 && atBottom) {
          trace.lastElementChild.scrollIntoView({ block: 'end' });
        }
        setLive('live', 'ok');
      } catch {
        setLive('reconnecting…', 'warn');
      } finally {
        if (mine === generation) {
          busy = false;
        }
      }
    };

    // A new server or filter: start over from the oldest message the controller keeps.
    const restart = () => {
      generation++;
      busy = false;
      after = 0;
      trace.replaceChildren();
      poll();
    };

    serverSelect.addEventListener('change', restart);
    filterInput.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(restart, 300);
    });
    follow.addEventListener('click', () => {
      following = !following;
      follow.setAttribute('aria-pressed', String(!following));
      follow.textContent = following ? 'Pause' : 'Follow';
      status.textContent = following ? '' : 'Paused: new messages are kept by the controller and shown when you follow again.';
      poll();
    });
    document.getElementById('trace-clear').addEventListener('click', async event => {
      const server = serverSelect.value;
      const button = event.currentTarget;
      if (!await confirmAction('Clear the trace of ' + (server || 'every server') + '? The controller and the agents drop the messages they hold.')) {
        status.textContent = 'Clear: cancelled.';
        button.focus();
        return;
      }
      const response = await call('DELETE', '/dashboard/api/trace' + (server ? '?server=' + encodeURIComponent(server) : ''));
      if (response.ok) {
        trace.replaceChildren();
        status.textContent = 'Cleared ' + response.data.cleared + ' message(s).';
      } else {
        status.textContent = 'Clear refused (' + response.status + '): ' + (response.data && response.data.error ? response.data.error : response.text);
      }
      button.focus();
    });
    poll();
    setInterval(poll, 1000);
  }

  // ---- Deployments (the controller's dashboard): each one's progress per server. The list is read from the
  // deployment engine's API; the controller's event stream says when to read it again (deploy-started,
  // server-updated on every phase change, deploy-finished, deploy-failed, rolled-back), so a phase shows within
  // one round trip of the change. A slow poll stays as the fallback while the stream reconnects.
  const deployments = document.getElementById('deployments');
  const deploymentKinds = ['deploy-started', 'server-updated', 'deploy-finished', 'deploy-failed', 'rolled-back'];
  const serverColumns = ['Server', 'Phase', 'Since', 'Release', 'Error'];

  // The API's times are UTC ISO 8601 ("2026-12-06T13:37:01.0274465+00:00"): shown to the second.
  const utc = t => t ? t.substring(0, 19).replace('T', ' ') + ' UTC' : '–';

  // A server's row, and under it (full width, so a stack trace does not squeeze the table) the app's last output lines.
  function serverRows(s) {
    const row = document.createElement('tr');
    row.dataset.server = s.server;
    const values = [s.server, s.phase, s.phaseSince ? s.phaseSince.substring(11, 19) : null, s.release, s.error];
    values.forEach((value, i) => {
      const cell = document.createElement('td');
      cell.dataset.label = serverColumns[i];
      cell.textContent = value ?? '–';
      row.append(cell);
    });
    row.children[1].className = 'phase phase-' + s.phase;
    row.children[2].title = s.phaseSince ?? '';
    row.children[4].className = 'error';
    if (!s.output || s.output.length === 0) {
      return [row];
    }
    const outputRow = document.createElement('tr');
    outputRow.className = 'output';
    outputRow.dataset.outputOf = s.server;
    const cell = document.createElement('td');
    cell.colSpan = serverColumns.length;
    cell.dataset.label = 'Last output of ' + s.server;
    const lines = document.createElement('pre');
    lines.className = 'output';
    lines.textContent = s.output.join('\n');
    cell.append(lines);
    outputRow.append(cell);
    return [row, outputRow];
  }

  let deploymentsBusy = false;
  let deploymentsAgain = false;

  async function refreshDeployments() {
    if (deploymentsBusy) {
      deploymentsAgain = true; // An event came while reading: read once more when this one ends.
      return;
    }
    deploymentsBusy = true;
    try {
      const response = await get(deployments.dataset.api);
      if (!response) {
        return;
      }
      const list = await response.json();
      const parts = [];
      for (const d of list) {
        const section = document.createElement('section');
        section.className = 'deployment state-' + d.state;
        section.dataset.id = String(d.id);
        const title = document.createElement('h2');
        title.textContent = d.kind + ' ' + d.id + ' of ' + d.app + ': ' + (d.previousRelease ? 'release ' + d.previousRelease + ' → ' : 'release ') + d.release + ', ' + d.state;
        const facts = document.createElement('p');
        facts.className = 'summary';
        facts.textContent = d.strategy + ' · started ' + utc(d.startedAt) + (d.finishedAt ? ' · finished ' + utc(d.finishedAt) : '') + (d.error ? ' · ' + d.error : '');
        const table = document.createElement('table');
        table.className = 'servers';
        const head = document.createElement('thead');
        const headRow = document.createElement('tr');
        for (const name of serverColumns) {
          const th = document.createElement('th');
          th.textContent = name;
          headRow.append(th);
        }
        head.append(headRow);
        const rows = document.createElement('tbody');
        for (const s of d.servers || []) {
          rows.append(...serverRows(s));
        }
        table.append(head, rows);
        section.append(title, facts, table);
        parts.push(section);
      }
      if (parts.length === 0) {
        const none = document.createElement('p');
        none.textContent = 'No deployment yet.';
        parts.push(none);
      }
      deployments.replaceChildren(...parts);
      deployments.removeAttribute('aria-busy');
      setLive('live', 'ok');
    } catch {
      setLive('reconnecting…', 'warn');
    } finally {
      deploymentsBusy = false;
      if (deploymentsAgain) {
        deploymentsAgain = false;
        refreshDeployments();
      }
    }
  }

  if (deployments) {
    refreshDeployments();
    const source = new EventSource('/dashboard/api/events/stream?since=' + Number(body.dataset.lastEvent || 0));
    source.onerror = () => setLive('reconnecting…', 'warn');
    for (const kind of deploymentKinds) {
      source.addEventListener(kind, refreshDeployments);
    }
    setInterval(refreshDeployments, 10000);
  }

  const logout = document.getElementById('logout');
  if (logout) {
    logout.addEventListener('click', async () => {
      await call('POST', '/dashboard/logout');
      location.assign('/dashboard/login');
    });
  }

  if (body.dataset.page !== 'login' && !document.querySelector('[data-k], [data-fragment], ol[data-events], #trace, #deployments')) {
    setLive('up to date', 'ok'); // Nothing on this page changes by itself.
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
