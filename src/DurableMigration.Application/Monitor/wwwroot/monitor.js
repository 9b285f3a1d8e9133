// The wave monitor: plain JavaScript over the wave API (docs/http.md). The page holds no data of its own: every read
// and action is an API call carrying the key from session storage in x-functions-key (never in the URL).
'use strict';

(() => {
  const API = (document.querySelector('meta[name="dmig-api"]')?.content || '/api').replace(/\/$/, '');
  const KEY_ITEM = 'dmig-api-key';
  const SVG = 'http://www.w3.org/2000/svg';
  // DatabaseState in enum order: the wave status's compact codes index it (WaveStatus.CodeOf).
  const STATES = ['Pending', 'AwaitingDependencies', 'Validating', 'Migrating', 'Syncing', 'AwaitingApproval', 'CuttingOver',
    'ValidatingTarget', 'Completed', 'NeedsAttention', 'RollingBack', 'RolledBack', 'Skipped', 'Failed'];
  const CODES = 'pdvmsactCnrRSF';
  const STATE_WORDS = {
    Pending: 'pending', AwaitingDependencies: 'awaiting dependencies', Validating: 'validating', Migrating: 'migrating',
    Syncing: 'syncing', AwaitingApproval: 'awaiting approval', CuttingOver: 'cutting over', ValidatingTarget: 'validating target',
    Completed: 'completed', NeedsAttention: 'needs attention', RollingBack: 'rolling back', RolledBack: 'rolled back',
    Skipped: 'skipped', Failed: 'failed',
  };
  const LIVE_STATES = new Set(['Migrating', 'Syncing', 'AwaitingApproval', 'CuttingOver', 'ValidatingTarget', 'NeedsAttention', 'RollingBack']);
  const FINAL = new Set(['Completed', 'Failed', 'Terminated']);
  const STEP_WORDS = {
    validate: 'validate', migrate: 'migrate', monitor: 'monitor', approval: 'approval', wait: 'wait', cutover: 'cutover',
    postValidate: 'post-validate', remediate: 'remediate', compensate: 'compensate', alert: 'alert',
  };

  const view = document.getElementById('view');
  const live = document.getElementById('live');
  const keyDialog = document.getElementById('key-dialog');
  const keyForm = document.getElementById('key-form');
  const keyInput = document.getElementById('key-input');
  const keyError = document.getElementById('key-error');
  const confirmDialog = document.getElementById('confirm-dialog');

  let generation = 0; // bumped on every navigation: a poll of an older page stops
  let pollTimer = null;

  // ---------- small DOM helpers (no innerHTML: names come from manifests) ----------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = value;
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null) continue;
      if (name === 'text') node.textContent = value;
      else node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) if (child) node.append(child);
    return node;
  }

  const stateClass = (state) => 'st-' + String(state || 'Pending').toLowerCase();
  const words = (state) => STATE_WORDS[state] || String(state || '');
  const number = (n) => (n === undefined || n === null ? '' : Number(n).toLocaleString('en-US'));

  function bytes(n) {
    if (n === undefined || n === null) return '';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = Number(n);
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return (unit === 0 ? value : value.toFixed(1)) + ' ' + units[unit];
  }

  function duration(ms) {
    if (!(ms >= 0)) return '';
    const s = Math.round(ms / 1000);
    if (s < 60) return s + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + (s % 60) + ' s';
    return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }

  const time = (iso) => (iso ? new Date(iso).toLocaleString('en-GB', { hour12: false }) : '');

  // ---------- the key ----------
  class KeyRefused extends Error {}

  function askForKey(message) {
    keyError.hidden = !message;
    keyError.textContent = message || '';
    keyInput.value = '';
    if (!keyDialog.open) keyDialog.showModal();
    keyInput.focus();
  }

  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_ITEM, key);
    keyDialog.close();
    route();
  });
  keyDialog.addEventListener('cancel', (event) => { if (!sessionStorage.getItem(KEY_ITEM)) event.preventDefault(); });
  document.getElementById('change-key').addEventListener('click', () => askForKey());

  // ---------- the API ----------
  async function api(path, { method = 'GET', body, continuation } = {}) {
    const key = sessionStorage.getItem(KEY_ITEM);
    if (!key) {
      askForKey();
      throw new KeyRefused('no key');
    }

    const headers = { 'x-functions-key': key };
    if (continuation) headers['x-ms-continuation-token'] = continuation;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    if (response.status === 401) {
      sessionStorage.removeItem(KEY_ITEM);
      stopPolling();
      setLive('Key refused', true);
      askForKey('The API refused this key (401). Check it with "dmig keys show" (it changes with "dmig keys rotate") and enter it again.');
      throw new KeyRefused('401');
    }

    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    return { status: response.status, ok: response.ok, body: json, continuation: response.headers.get('x-ms-continuation-token') };
  }

  /** Every page of a listing, following x-ms-continuation-token (at most maxPages pages). */
  async function allPages(path, pick, maxPages = 20) {
    const items = [];
    let continuation = null;
    for (let i = 0; i < maxPages; i++) {
      const page = await api(path, { continuation });
      if (!page.ok) return { status: page.status, body: page.body, items };
      items.push(...pick(page.body));
      continuation = page.continuation;
      if (!continuation) break;
    }

    return { status: 200, items };
  }

  function setLive(text, offline) {
    live.textContent = text;
    live.classList.toggle('offline', !!offline);
  }

  function stopPolling() {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
  }

  /** Runs step now and again every delay() ms while the page it belongs to is shown. */
  function poll(step, delay) {
    const mine = ++generation;
    stopPolling();
    const run = async () => {
      if (mine !== generation) return;
      try {
        await step();
        setLive('Live · updated ' + new Date().toLocaleTimeString('en-GB', { hour12: false }));
      } catch (error) {
        if (error instanceof KeyRefused) return;
        setLive('Cannot reach the API: ' + error.message + ' (retrying)', true);
      }

      if (mine === generation) pollTimer = setTimeout(run, delay());
    };
    run();
  }

  // ---------- confirmation ----------
  function confirmAction(title, text, extra) {
    document.getElementById('confirm-title').textContent = title;
    document.getElementById('confirm-text').textContent = text;
    const holder = document.getElementById('confirm-extra');
    holder.replaceChildren(...(extra ? [extra] : []));
    confirmDialog.returnValue = '';
    confirmDialog.showModal();
    return new Promise((resolve) => {
      confirmDialog.addEventListener('close', () => resolve(confirmDialog.returnValue === 'ok'), { once: true });
    });
  }

  // ---------- routing ----------
  function route() {
    stopPolling();
    generation++;
    if (!sessionStorage.getItem(KEY_ITEM)) {
      view.replaceChildren(el('p', { class: 'muted', text: 'Enter the API key to see the waves.' }));
      askForKey();
      return;
    }

    const match = location.hash.match(/^#\/waves\/(.+)$/);
    if (match) showWave(decodeURIComponent(match[1]));
    else showList();
  }

  window.addEventListener('hashchange', route);

  // ---------- wave list ----------
  let listFilter = '';

  function waveProgress(wave) {
    const status = wave.customStatus || {};
    const output = wave.output;
    let total = (wave.input?.manifest?.databases || []).length;
    let done = 0;
    if (output?.databases) {
      total = output.databases.length;
      done = output.databases.filter((d) => d.state === 'Completed').length;
    } else if (typeof status.states === 'string') {
      total = Math.max(total, status.states.length);
      done = [...status.states].filter((c) => c === 'C').length;
    }

    return { done, total };
  }

  function showList() {
    document.title = 'Waves · dmig';
    const filter = el('select', { id: 'status-filter', 'aria-label': 'Filter by status' },
      ['', 'Running', 'Pending', 'Suspended', 'Completed', 'Failed', 'Terminated'].map((s) => el('option', { value: s, text: s || 'All statuses', selected: s === listFilter })));
    const body = el('tbody');
    const empty = el('p', { class: 'muted', hidden: true, text: 'No waves. Start one with dmig run, POST /api/waves, or a ticket.' });
    view.replaceChildren(
      el('h1', { text: 'Waves' }),
      el('div', { class: 'toolbar' }, el('label', { for: 'status-filter', text: 'Status' }), filter),
      el('section', { class: 'panel' }, el('div', { class: 'scroll' }, el('table', { id: 'wave-list' },
        el('thead', {}, el('tr', {}, ['Wave', 'Status', 'Phase', 'Ticket', 'Started', 'Duration', 'Progress'].map((h, i) => el('th', { text: h, class: i === 2 || i === 4 ? 'hide-narrow' : null })))),
        body)), empty));
    filter.addEventListener('change', () => { listFilter = filter.value; showList(); });

    poll(async () => {
      const query = '/waves?top=100' + (listFilter ? '&runtimeStatus=' + encodeURIComponent(listFilter) : '');
      const result = await allPages(query, (b) => b || []);
      if (result.status !== 200) throw new Error(result.body?.detail || 'HTTP ' + result.status);
      const waves = result.items.slice().reverse(); // newest first
      empty.hidden = waves.length > 0;
      body.replaceChildren(...waves.map((wave) => {
        const { done, total } = waveProgress(wave);
        const started = new Date(wave.createdTime);
        const ended = FINAL.has(wave.runtimeStatus) ? new Date(wave.lastUpdatedTime) : new Date();
        const ticket = wave.customStatus?.ticket || wave.input?.ticket?.id || '';
        const link = '#/waves/' + encodeURIComponent(wave.instanceId);
        return el('tr', { class: 'wave-row', 'data-wave': wave.instanceId },
          el('td', {}, el('a', { href: link, text: wave.instanceId })),
          el('td', {}, el('span', { class: 'badge ' + wave.runtimeStatus, text: wave.runtimeStatus })),
          el('td', { class: 'hide-narrow', text: wave.customStatus?.phase || '' }),
          el('td', { class: 'ticket', text: ticket }),
          el('td', { class: 'hide-narrow', text: time(wave.createdTime) }),
          el('td', { class: 'num', text: duration(ended - started) }),
          el('td', {}, el('div', { class: 'progress', title: done + ' of ' + total + ' completed' }, progressBar(total ? done / total : 0)),
            el('span', { class: 'muted', text: done + '/' + total })));
      }));
    }, () => 2000);
  }

  function progressBar(fraction) {
    const bar = el('span');
    bar.style.width = Math.round(Math.max(0, Math.min(1, fraction)) * 100) + '%';
    return bar;
  }

  // ---------- one wave ----------
  /** The state of each database, as WaveView.StateOf decides it: rollback's, else the result's, else the recorded code, refined by the live status. */
  function statesOf(wave, liveByName) {
    const names = (wave.input?.manifest?.databases || []).map((d) => d.name);
    const fromInstance = (instance, useLive) => {
      const result = instance.runtimeStatus === 'Completed' ? instance.output : null;
      const codes = instance.customStatus?.states || '';
      const byName = new Map();
      names.forEach((name, i) => {
        const final = result?.databases?.find((d) => d.database.toLowerCase() === name.toLowerCase());
        if (final) { byName.set(name, final.state); return; }
        const recorded = i < codes.length ? STATES[CODES.indexOf(codes[i])] || 'Pending' : 'Pending';
        const liveState = useLive ? liveByName.get(name)?.customStatus?.state : null;
        byName.set(name, LIVE_STATES.has(recorded) && liveState ? liveState : recorded);
      });
      return byName;
    };
    const rollback = wave.rollback;
    if (rollback && (rollback.output || rollback.customStatus)) return fromInstance(rollback, false);
    return fromInstance(wave, true);
  }

  function showWave(id) {
    document.title = id + ' · dmig';
    const page = { id, wave: null, live: new Map(), samples: new Map(), selected: null, graphKey: '', rows: new Map(), finishedSeen: false };
    const header = el('div', { id: 'wave-header' });
    const actions = el('div', { class: 'toolbar', id: 'actions' });
    const effect = el('div', { id: 'effect', role: 'status', 'aria-live': 'polite' });
    const attention = el('div', { id: 'attention' });
    const graphHolder = el('div', { class: 'graph-wrap', id: 'graph' });
    const rowsBody = el('tbody', { id: 'database-rows' });
    const gantt = el('div', { class: 'scroll', id: 'gantt' }, el('p', { class: 'muted', text: 'Loading…' }));
    const assessment = el('div', { id: 'assessment' });
    const validation = el('div', { id: 'validation' });
    const compensations = el('div', { id: 'compensations' });
    const history = el('div', { class: 'scroll', id: 'history' });
    const historySection = el('details', { class: 'panel', id: 'history-section' }, el('summary', { text: 'Orchestration history' }), history);
    const ganttSection = el('details', { class: 'panel', id: 'gantt-section', open: true },
      el('summary', { text: 'Timeline' }),
      el('div', { class: 'toolbar' }, el('button', { type: 'button', class: 'small', id: 'gantt-refresh', text: 'Refresh timeline', onclick: () => loadGantt() }),
        el('span', { class: 'muted', text: 'Each database\'s steps from its orchestration history, read when asked.' })),
      gantt);

    view.replaceChildren(
      el('p', {}, el('a', { href: '#/', text: '← All waves' })),
      header, actions, effect, attention,
      el('section', { class: 'panel' }, el('h2', { text: 'Dependency graph' }), graphHolder, legend()),
      el('section', { class: 'panel' }, el('h2', { text: 'Databases' }), el('div', { class: 'scroll' }, el('table', { id: 'databases' },
        el('thead', {}, el('tr', {}, ['Database', 'State', 'Step / message', 'Rows', 'Progress', 'Throughput', 'Lag', 'Actions'].map((h, i) => el('th', { text: h, class: i === 6 ? 'hide-narrow' : null })))),
        rowsBody))),
      ganttSection,
      el('section', { class: 'panel' }, el('h2', { text: 'Assessment findings' }), assessment),
      el('section', { class: 'panel' }, el('h2', { text: 'Validation report' }), validation),
      el('section', { class: 'panel' }, el('h2', { text: 'Compensation log' }), compensations),
      historySection);

    historySection.addEventListener('toggle', () => { if (historySection.open) loadHistory(); });
    ganttSection.addEventListener('toggle', () => { if (ganttSection.open) loadGantt(); });
    const mine = generation + 1; // poll() below takes this generation

    async function refresh() {
      const status = await api('/waves/' + encodeURIComponent(id));
      if (status.status === 404) {
        header.replaceChildren(el('h1', { text: id }), el('p', { class: 'error', text: 'No such wave: it was never started here, or it was purged.' }));
        return;
      }

      if (!status.ok) throw new Error(status.body?.detail || 'HTTP ' + status.status);
      const wave = status.body;
      page.wave = wave;
      const running = !FINAL.has(wave.runtimeStatus) || (wave.rollback && !FINAL.has(wave.rollback.runtimeStatus));
      // The databases' own statuses only while something runs: a finished wave's output holds every result.
      if (running || page.live.size === 0) {
        const databases = await allPages('/waves/' + encodeURIComponent(id) + '/databases?top=200', (b) => b?.databases || [], 50);
        const now = performance.now();
        for (const d of databases.items) {
          page.live.set(d.database, d);
          const rows = d.customStatus?.progress?.rowsCopied ?? d.output?.rows;
          if (rows !== undefined) {
            const previous = page.samples.get(d.database);
            const rate = previous && now > previous.at && rows >= previous.rows ? (rows - previous.rows) / ((now - previous.at) / 1000) : previous?.rate;
            page.samples.set(d.database, { rows, at: now, rate: d.runtimeStatus === 'Running' ? rate : null });
          }
        }
      }

      if (mine !== generation) return;
      render(wave, running);
      if (!running && !page.finishedSeen) {
        page.finishedSeen = true;
        if (ganttSection.open) loadGantt();
        if (historySection.open) loadHistory();
      }
    }

    function render(wave, running) {
      const states = statesOf(wave, page.live);
      const manifest = wave.input?.manifest || { databases: [] };
      const ticket = wave.customStatus?.ticket || wave.input?.ticket?.id;
      const rollback = wave.rollback;
      const ended = FINAL.has(wave.runtimeStatus) ? new Date(wave.lastUpdatedTime) : new Date();
      header.replaceChildren(
        el('h1', { text: id }),
        el('div', { class: 'facts' },
          el('span', {}, el('span', { class: 'badge ' + wave.runtimeStatus, id: 'wave-status', text: wave.runtimeStatus })),
          wave.output?.outcome ? el('span', {}, 'outcome ', el('b', { id: 'wave-outcome', text: wave.output.outcome })) : null,
          el('span', {}, 'phase ', el('b', { text: wave.customStatus?.phase || (FINAL.has(wave.runtimeStatus) ? 'finished' : 'starting') })),
          ticket ? el('span', {}, 'ticket ', el('b', { text: ticket })) : null,
          el('span', {}, 'started ', el('b', { text: time(wave.createdTime) })),
          el('span', {}, 'duration ', el('b', { text: duration(ended - new Date(wave.createdTime)) })),
          rollback ? el('span', {}, 'rollback ', el('b', { id: 'rollback-status', text: rollback.runtimeStatus + (rollback.output?.outcome ? ' · ' + rollback.output.outcome : '') })) : null,
          wave.failureDetails ? el('span', { class: 'error', text: wave.failureDetails.errorMessage }) : null));

      renderActions(wave, states);
      renderAttention(wave);
      renderGraph(manifest, states);
      renderRows(manifest, states, wave);
      renderResults(wave);
      if (!running) setLive('Finished · updated ' + new Date().toLocaleTimeString('en-GB', { hour12: false }));
    }

    function renderActions(wave, states) {
      const active = !FINAL.has(wave.runtimeStatus);
      const awaiting = [...states.values()].some((s) => s === 'AwaitingApproval');
      // After a rollback, only what it left completed (refused) or failed can be rolled back again.
      const rollback = wave.rollback;
      const canRollBack = active || (rollback
        ? FINAL.has(rollback.runtimeStatus) && (rollback.output?.databases || []).some((d) => d.state === 'Completed' || d.state === 'Failed')
        : (wave.output?.databases || []).some((d) => d.state === 'Completed'));
      const enabled = {
        approve: active && awaiting,
        suspend: wave.runtimeStatus === 'Running' || wave.runtimeStatus === 'Pending',
        resume: active,
        rollback: !!canRollBack,
        terminate: active,
      };
      // Built once and only enabled or disabled after: a button replaced on every refresh would slip from under a click.
      if (!actions.firstChild) {
        const button = (action, label, cls) => el('button', { type: 'button', 'data-action': action, class: cls, onclick: () => act(action), text: label });
        actions.append(button('approve', 'Approve cutover'), button('suspend', 'Suspend'), button('resume', 'Resume'),
          button('rollback', 'Roll back', 'danger'), button('terminate', 'Terminate', 'danger'));
      }

      for (const button of actions.querySelectorAll('button')) button.disabled = !enabled[button.getAttribute('data-action')];
    }

    function renderAttention(wave) {
      const list = wave.customStatus?.attention || [];
      attention.replaceChildren(...(list.length === 0 || FINAL.has(wave.runtimeStatus) ? [] : [el('section', { class: 'panel attention' },
        el('h2', { text: 'Waiting for an operator' }),
        el('ul', {}, list.map((a) => el('li', {},
          el('b', { text: a.database }), ' ' + words(a.state) + ' — ', el('code', { text: a.next }),
          a.timeoutAt ? el('span', { class: 'muted', text: ' (until ' + time(a.timeoutAt) + ', then rolled back)' }) : null))))]));
    }

    function renderGraph(manifest, states) {
      const databases = manifest.databases || [];
      const key = JSON.stringify(databases.map((d) => [d.name, d.dependsOn || []]));
      if (key !== page.graphKey) {
        page.graphKey = key;
        graphHolder.replaceChildren(buildGraph(databases));
      }

      for (const node of graphHolder.querySelectorAll('g.node')) {
        const name = node.getAttribute('data-db');
        const state = states.get(name) || 'Pending';
        const entry = page.live.get(name);
        const liveStatus = entry && !FINAL.has(entry.runtimeStatus) ? entry.customStatus : null;
        const progress = liveStatus?.progress;
        node.setAttribute('data-state', state);
        node.querySelector('rect').setAttribute('class', stateClass(state));
        let sub = words(state);
        if (progress && progress.rowsTotal > 0 && LIVE_STATES.has(state)) sub += ' · ' + Math.floor((100 * progress.rowsCopied) / progress.rowsTotal) + '%';
        node.querySelector('text.sub').textContent = sub;
        node.querySelector('title').textContent = name + ': ' + words(state) + (liveStatus?.message ? ' — ' + liveStatus.message : '');
        node.classList.toggle('selected', page.selected === name);
      }
    }

    function buildGraph(databases) {
      const byName = new Map(databases.map((d) => [d.name.toLowerCase(), d]));
      const depth = new Map();
      const depthOf = (d, seen = new Set()) => {
        const k = d.name.toLowerCase();
        if (depth.has(k)) return depth.get(k);
        if (seen.has(k)) return 0; // the manifest check forbids cycles; never loop on a bad one
        seen.add(k);
        const deps = (d.dependsOn || []).map((n) => byName.get(n.toLowerCase())).filter(Boolean);
        const value = deps.length ? 1 + Math.max(...deps.map((x) => depthOf(x, seen))) : 0;
        depth.set(k, value);
        return value;
      };
      const layers = [];
      for (const d of databases) (layers[depthOf(d)] ||= []).push(d);
      const W = 170, H = 46, GX = 70, GY = 14, PAD = 8;
      const position = new Map();
      layers.forEach((layer, x) => layer.forEach((d, y) => position.set(d.name.toLowerCase(), { x: PAD + x * (W + GX), y: PAD + y * (H + GY) })));
      const width = PAD * 2 + layers.length * (W + GX) - GX;
      const height = PAD * 2 + Math.max(1, ...layers.map((l) => l.length)) * (H + GY) - GY;
      const root = svg('svg', { class: 'graph', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Dependency graph of the wave\'s databases' });
      for (const d of databases) {
        const to = position.get(d.name.toLowerCase());
        for (const dep of d.dependsOn || []) {
          const from = position.get(dep.toLowerCase());
          if (!from) continue;
          const x1 = from.x + W, y1 = from.y + H / 2, x2 = to.x, y2 = to.y + H / 2, mid = (x1 + x2) / 2;
          root.append(svg('path', { class: 'edge', d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 4},${y2}` }),
            svg('path', { class: 'edge', d: `M${x2 - 9},${y2 - 4} L${x2 - 3},${y2} L${x2 - 9},${y2 + 4}` }));
        }
      }

      for (const d of databases) {
        const p = position.get(d.name.toLowerCase());
        const label = d.name.length > 20 ? d.name.slice(0, 19) + '…' : d.name;
        const node = svg('g', { class: 'node', 'data-db': d.name, 'data-state': 'Pending', transform: `translate(${p.x},${p.y})`, tabindex: 0 },
          svg('title', { text: d.name }),
          svg('rect', { width: W, height: H, rx: 7, class: stateClass('Pending') }),
          svg('text', { x: 10, y: 19, text: label }),
          svg('text', { x: 10, y: 36, class: 'sub', text: 'pending' }));
        node.addEventListener('click', () => {
          page.selected = page.selected === d.name ? null : d.name;
          document.getElementById('row-' + cssId(d.name))?.scrollIntoView({ block: 'nearest' });
          render(page.wave, true);
        });
        root.append(node);
      }

      return root;
    }

    function renderRows(manifest, states, wave) {
      const active = !FINAL.has(wave.runtimeStatus);
      const finals = new Map((wave.output?.databases || []).map((d) => [d.database, d]));
      const seen = new Set();
      for (const d of manifest.databases || []) {
        const name = d.name;
        seen.add(name);
        let row = page.rows.get(name);
        if (!row) {
          row = el('tr', { 'data-db': name, id: 'row-' + cssId(name) },
            el('td', {}, el('span', { class: 'dot' }), el('b', { text: name })),
            el('td', { class: 'state' }), el('td', { class: 'message' }), el('td', { class: 'num rows' }),
            el('td', {}, el('div', { class: 'progress' }, progressBar(0))), el('td', { class: 'num rate' }), el('td', { class: 'num lag hide-narrow' }),
            el('td', { class: 'row-actions' }));
          page.rows.set(name, row);
          rowsBody.append(row);
        }

        const state = states.get(name) || 'Pending';
        const entry = page.live.get(name);
        // A finished orchestration keeps its last custom status; only a running one's is current.
        const liveStatus = entry && !FINAL.has(entry.runtimeStatus) ? entry.customStatus : null;
        const result = entry?.output || finals.get(name);
        const progress = liveStatus?.progress;
        row.classList.toggle('selected', page.selected === name);
        row.setAttribute('data-state', state);
        row.querySelector('.dot').className = 'dot ' + stateClass(state);
        row.querySelector('.state').textContent = words(state);
        const message = liveStatus?.message || result?.error || (result?.failedStep ? 'failed at ' + result.failedStep : '') || (progress ? 'copying ' + progress.table : '');
        row.querySelector('.message').textContent = message;
        const copied = progress?.rowsCopied ?? result?.rows;
        const total = progress?.rowsTotal;
        row.querySelector('.rows').textContent = copied === undefined ? '' : number(copied) + (total ? ' / ' + number(total) : '') + (result?.bytes ? ' · ' + bytes(result.bytes) : progress?.bytesCopied ? ' · ' + bytes(progress.bytesCopied) : '');
        const fraction = state === 'Completed' ? 1 : total ? copied / total : 0;
        row.querySelector('.progress > span').style.width = Math.round(fraction * 100) + '%';
        const rate = page.samples.get(name)?.rate;
        row.querySelector('.rate').textContent = rate > 0 && LIVE_STATES.has(state) ? number(Math.round(rate)) + ' rows/s' : '';
        // Online migrations publish their replication lag; while the initial copy runs, the rows still to copy stand in.
        const replication = liveStatus?.replication;
        row.querySelector('.lag').textContent = replication
          ? (replication.lagSeconds == null ? '' : replication.lagSeconds.toFixed(1) + ' s · ') + bytes(replication.lagBytes)
          : state === 'Migrating' && total ? number(Math.max(0, total - copied)) + ' rows behind' : '';
        const cell = row.querySelector('.row-actions');
        const wanted = active && state === 'AwaitingApproval' ? 'approve' : active && state === 'NeedsAttention' ? 'retry' : '';
        if ((cell.firstChild?.getAttribute('data-action') || '') !== wanted) {
          cell.replaceChildren(...(wanted === 'approve'
            ? [el('button', { type: 'button', class: 'small primary', 'data-action': 'approve-db', 'data-db': name, text: 'Approve', onclick: () => act('approve-db', name) })]
            : wanted === 'retry'
              ? [el('button', { type: 'button', class: 'small', 'data-action': 'retry-db', 'data-db': name, text: 'Retry', onclick: () => act('retry-db', name) })]
              : []));
        }
      }

      for (const [name, row] of page.rows) if (!seen.has(name)) { row.remove(); page.rows.delete(name); }
    }

    function renderResults(wave) {
      // Assessment: the wave's output holds every database's report once it finished.
      const reports = wave.output?.assessment || wave.rollback?.output?.assessment || [];
      const findings = (r) => ((r.findings || []).length === 0
        ? el('span', { class: 'muted', text: 'none' })
        : el('ul', {}, r.findings.map((f) => el('li', {}, el('b', { text: f.severity + ' ' }), el('code', { text: f.rule }), ' ' + f.message + (f.object ? ' (' + f.object + ')' : '')))));
      const reportRow = (r) => el('tr', {},
        el('td', { text: r.database }), el('td', { text: r.engineVersion }), el('td', { class: 'num', text: bytes(r.sizeBytes) }),
        el('td', { class: 'num', text: r.tables }), el('td', {}, findings(r)));
      assessment.replaceChildren(reports.length === 0
        ? el('p', { class: 'muted', text: FINAL.has(wave.runtimeStatus) ? 'No assessment was recorded.' : 'Shown when the wave finishes (the pre-flight runs first; blocking findings stop the wave).' })
        : table(['Database', 'Engine', 'Size', 'Tables', 'Findings'], reports.map(reportRow)));

      const results = new Map();
      for (const d of wave.output?.databases || []) results.set(d.database, d);
      for (const [name, entry] of page.live) if (entry.output && !results.has(name)) results.set(name, entry.output);
      const validated = [...results.values()].filter((r) => r.validation);
      const matches = (t) => t.sourceRows === t.targetRows && t.sourceChecksum === t.targetChecksum;
      const tableRow = (r, t) => el('tr', {},
        el('td', { text: r.database }), el('td', { text: t.table }), el('td', { class: 'num', text: number(t.sourceRows) }), el('td', { class: 'num', text: number(t.targetRows) }),
        el('td', { text: t.sourceChecksum ? (t.sourceChecksum === t.targetChecksum ? 'match' : 'differ') : 'not compared' }),
        el('td', { class: matches(t) ? '' : 'error', text: matches(t) ? 'matches' : 'MISMATCH' }));
      const missingRow = (r, m) => el('tr', {}, el('td', { text: r.database }), el('td', { text: m }), el('td', { colspan: 4, class: 'error', text: 'missing in target' }));
      validation.replaceChildren(validated.length === 0
        ? el('p', { class: 'muted', text: 'Shown as each database passes post-validation.' })
        : table(['Database', 'Table', 'Source rows', 'Target rows', 'Checksums', 'Result'],
          validated.flatMap((r) => [...r.validation.tables.map((t) => tableRow(r, t)), ...(r.validation.missingInTarget || []).map((m) => missingRow(r, m))])));

      const records = [];
      const collect = (source, databases) => {
        for (const d of databases || []) for (const c of d.compensationsRun || []) records.push({ source, database: d.database, ...c });
      };
      collect('wave', wave.output?.databases);
      collect('rollback', wave.rollback?.output?.databases);
      if (!wave.output) for (const [, entry] of page.live) if (entry.output) collect('database', [entry.output]);
      const recordRow = (c) => el('tr', { 'data-db': c.database },
        el('td', { text: c.source }), el('td', { text: c.database }), el('td', { class: 'compensation', text: c.compensation }),
        el('td', { class: c.succeeded ? '' : 'error', text: c.refused ? 'refused' : c.succeeded ? 'done' : 'failed' }),
        el('td', { text: c.error || '' }));
      compensations.replaceChildren(records.length === 0
        ? el('p', { class: 'muted', text: 'No compensation has run.' })
        : table(['By', 'Database', 'Compensation', 'Result', 'Error'], records.map(recordRow), 'compensation-log'));
    }

    async function act(action, database) {
      const wave = page.wave;
      if (!wave) return;
      const path = '/waves/' + encodeURIComponent(id);
      let title, text, extra, request, describe;
      let choice;
      switch (action) {
        case 'approve':
          title = 'Approve cutover';
          text = 'Approve cutover of every database of ' + id + ' that awaits approval? Their sources become read-only and consumers switch to the targets.';
          request = () => api(path + '/approve', { method: 'POST' });
          describe = (b) => 'Approved cutover of ' + (b.approved || []).join(', ') + '.';
          break;
        case 'approve-db':
          title = 'Approve cutover of ' + database;
          text = 'Approve cutover of ' + database + '? Its source becomes read-only and its consumers switch to the target.';
          request = () => api(path + '/approve/' + encodeURIComponent(database), { method: 'POST' });
          describe = (b) => 'Approved cutover of ' + (b.approved || [database]).join(', ') + '.';
          break;
        case 'retry-db':
          title = 'Retry ' + database;
          text = 'Run ' + database + ' again from its failed step?';
          request = () => api(path + '/retry/' + encodeURIComponent(database), { method: 'POST' });
          describe = () => 'Retrying ' + database + ' from its failed step.';
          break;
        case 'rollback':
          title = 'Roll back ' + id;
          text = FINAL.has(wave.runtimeStatus)
            ? 'Roll back the finished wave ' + id + '? Its completed databases are compensated, dependents first: consumers switch back and sources become writable again.'
            : 'Roll back the running wave ' + id + '? Every database stops at its next step and is compensated.';
          choice = el('select', { id: 'rollback-writes' },
            el('option', { value: '', text: 'Refuse if consumers wrote to a target (default)' }),
            el('option', { value: 'copyBack', text: 'Copy target writes back to the source first' }),
            el('option', { value: 'discardTargetWrites', text: 'Discard target writes (a backup of the target is kept)' }));
          extra = el('div', {}, el('label', { for: 'rollback-writes', text: 'Writes made to targets since cutover' }), choice);
          request = () => api(path + '/rollback', { method: 'POST', body: choice.value ? { [choice.value]: true } : {} });
          describe = (b) => (b?.id && b.id !== id ? 'Rollback ' + b.id + ' started.' : 'Rollback requested: the databases stop at their next step and are compensated.');
          break;
        case 'suspend':
        case 'resume':
        case 'terminate':
          title = action[0].toUpperCase() + action.slice(1) + ' ' + id;
          text = action === 'terminate'
            ? 'Terminate ' + id + ' and its running databases? Nothing is compensated: roll back instead to undo work.'
            : action === 'suspend' ? 'Suspend ' + id + ' and its running databases? They keep their place and go on when resumed.'
              : 'Resume ' + id + ' and its suspended databases?';
          request = () => api(path + '/' + action + '?reason=' + encodeURIComponent('wave monitor'), { method: 'POST' });
          describe = (b) => (action === 'terminate' ? 'Terminated' : action === 'suspend' ? 'Suspended' : 'Resumed') + ': ' + (b.instances || []).join(', ') + '.';
          break;
        default:
          return;
      }

      if (!(await confirmAction(title, text, extra))) return;
      try {
        const response = await request();
        effect.classList.toggle('refused', !response.ok);
        effect.textContent = response.ok
          ? describe(response.body || {})
          : 'Refused (' + response.status + (response.body?.title ? ' ' + response.body.title : '') + '): ' + (response.body?.detail || '');
        page.finishedSeen = false;
        await refresh();
      } catch (error) {
        if (!(error instanceof KeyRefused)) {
          effect.classList.add('refused');
          effect.textContent = 'The request failed: ' + error.message;
        }
      }
    }

    async function loadGantt() {
      try {
        const result = await allPages('/waves/' + encodeURIComponent(id) + '/timeline?top=50', (b) => b?.databases || [], 40);
        if (result.status !== 200) { gantt.replaceChildren(el('p', { class: 'error', text: result.body?.detail || 'HTTP ' + result.status })); return; }
        gantt.replaceChildren(buildGantt(result.items));
      } catch (error) {
        if (!(error instanceof KeyRefused)) gantt.replaceChildren(el('p', { class: 'error', text: error.message }));
      }
    }

    async function loadHistory() {
      try {
        const response = await api('/waves/' + encodeURIComponent(id) + '?showHistory=true');
        const events = response.body?.historyEvents || [];
        history.replaceChildren(el('table', { id: 'history-table' },
          el('thead', {}, el('tr', {}, ['Time', 'Event', 'Name', 'Task', 'Detail'].map((h) => el('th', { text: h })))),
          el('tbody', {}, events.map((e) => el('tr', {},
            el('td', { class: 'num', text: e.timestamp.replace('T', ' ').replace('Z', '') }), el('td', { text: e.eventType }), el('td', { text: e.name || '' }),
            el('td', { class: 'num', text: e.taskId ?? '' }), el('td', { text: e.detail || '' }))))));
      } catch (error) {
        if (!(error instanceof KeyRefused)) history.replaceChildren(el('p', { class: 'error', text: error.message }));
      }
    }

    poll(refresh, () => {
      const wave = page.wave;
      const running = !wave || !FINAL.has(wave.runtimeStatus) || (wave.rollback && !FINAL.has(wave.rollback.runtimeStatus));
      return running ? 1000 : 4000;
    });
    loadGantt();
  }

  /** A scrollable table with a header row. */
  function table(headings, rows, id) {
    return el('div', { class: 'scroll' }, el('table', { id }, el('thead', {}, el('tr', {}, headings.map((h) => el('th', { text: h })))), el('tbody', {}, rows)));
  }

  function legend() {
    return el('div', { class: 'legend' }, STATES.map((s) => el('span', {}, el('span', { class: 'dot ' + stateClass(s) }), words(s))));
  }

  function cssId(name) {
    return String(name).replace(/[^A-Za-z0-9_-]/g, '_');
  }

  function buildGantt(timelines) {
    const spans = timelines.flatMap((t) => t.spans);
    if (spans.length === 0) return el('p', { class: 'muted', text: 'No database has started yet.' });
    const now = Date.now();
    const start = Math.min(...spans.map((s) => Date.parse(s.start)));
    const end = Math.max(...spans.map((s) => (s.end ? Date.parse(s.end) : now)), start + 1000);
    const LABEL = 150, WIDTH = 900, LANE = 12, ROWPAD = 8, AXIS = 22;
    const scale = (t) => LABEL + ((t - start) / (end - start)) * (WIDTH - LABEL - 10);
    const rows = timelines.map((t) => {
      const lanes = [];
      const placed = t.spans.map((s) => {
        const a = Date.parse(s.start), b = s.end ? Date.parse(s.end) : now;
        let lane = lanes.findIndex((until) => until <= a);
        if (lane < 0) { lane = lanes.length; lanes.push(b); } else lanes[lane] = b;
        return { ...s, a, b, lane };
      });
      return { t, placed, lanes: Math.max(1, lanes.length) };
    });
    const height = AXIS + rows.reduce((sum, r) => sum + r.lanes * LANE + ROWPAD * 2, 0) + 20;
    const root = svg('svg', { class: 'gantt', width: WIDTH, height, viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', 'aria-label': 'Timeline of every database\'s steps' });
    const ticks = 6;
    for (let i = 0; i <= ticks; i++) {
      const t = start + ((end - start) * i) / ticks;
      const x = scale(t);
      const label = end - start < 20000 ? ((t - start) / 1000).toFixed(1) + ' s' : duration(t - start);
      root.append(svg('line', { class: 'axis', x1: x, y1: AXIS - 4, x2: x, y2: height - 16 }), svg('text', { x: x - 12, y: 14, text: label }));
    }

    let y = AXIS;
    for (const r of rows) {
      const rowHeight = r.lanes * LANE + ROWPAD * 2;
      const group = svg('g', { class: 'gantt-row', 'data-db': r.t.database });
      group.append(svg('text', { x: 4, y: y + rowHeight / 2 + 4, text: r.t.database.length > 20 ? r.t.database.slice(0, 19) + '…' : r.t.database }));
      for (const s of r.placed) {
        const x = scale(s.a);
        const w = Math.max(2, scale(s.b) - x);
        group.append(svg('rect', { class: 'bar step-' + s.step + ' ' + s.outcome, 'data-step': s.step, x, y: y + ROWPAD + s.lane * LANE, width: w, height: LANE - 2, rx: 2 },
          svg('title', { text: `${r.t.database} · ${STEP_WORDS[s.step] || s.step} · ${duration(s.b - s.a)} · ${s.outcome}${s.detail ? ' · ' + s.detail : ''}` })));
      }

      root.append(group);
      y += rowHeight;
    }

    const key = el('div', { class: 'legend' }, Object.entries(STEP_WORDS).map(([step, label]) => el('span', {}, el('span', { class: 'dot step-' + step }), label)));
    return el('div', {}, root, key);
  }

  route();
})();
