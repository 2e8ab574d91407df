/**
 * The page's script, part 2 of 3: the cluster, topic and consumer group pages, and the offset reset
 * (on a group's page). Charts come from part 3 (charts-js.ts); message lookup and send from part 2b.
 */
export const PAGES_JS = String.raw`
(function () {
  var C = window.Console, h = C.h;

  C.pages.cluster = function (box) {
    return Promise.all([C.api('brokers'), C.api('history')]).then(function (r) {
      var brokers = r[0], hist = r[1];
      var put = brokers.reduce(function (s, b) { return s + b.putTps; }, 0);
      var get = brokers.reduce(function (s, b) { return s + b.getTps; }, 0);
      C.append(box, [
        h('h1', null, 'Cluster'),
        h('div', { class: 'card' },
          h('span', { class: 'stat' }, h('b', { id: 'stat-brokers' }, brokers.length), 'brokers'),
          h('span', { class: 'stat' }, h('b', null, C.fmt(put)), 'put TPS'),
          h('span', { class: 'stat' }, h('b', null, C.fmt(get)), 'get TPS')),
        C.table([
          ['Cluster', function (b) { return b.cluster; }],
          ['Broker', function (b) { return b.brokerName; }],
          ['ID', function (b) { return b.brokerId; }, 'num'],
          ['Address', function (b) { return b.addr; }],
          ['Role', function (b) { return h('span', { class: 'tag ' + b.role }, b.role); }],
          ['Version', function (b) { return b.error ? h('span', { class: 'error' }, b.error) : b.version; }],
          ['Put TPS', function (b) { return C.fmt(b.putTps); }, 'num'],
          ['Get TPS', function (b) { return C.fmt(b.getTps); }, 'num'],
          ['Put today', function (b) { return C.fmt(b.msgPutToday); }, 'num'],
          ['Get today', function (b) { return C.fmt(b.msgGetToday); }, 'num'],
          ['Disk used', function (b) { return (b.diskRatio * 100).toFixed(1) + ' %'; }, 'num'],
          ['Disk', function (b) { return b.diskCapacity; }],
          ['Up since', function (b) { return C.time(b.bootTimestamp); }],
        ], brokers, 'brokers'),
        h('h2', null, 'Throughput, last hour'),
        h('div', { class: 'grid' }, Object.keys(hist.brokers).map(function (name) {
          var pts = hist.brokers[name];
          return h('div', { class: 'card' }, C.chart(name + ': messages/s', [
            { name: 'put', points: pts.map(function (p) { return [p[0], p[1]]; }) },
            { name: 'get', points: pts.map(function (p) { return [p[0], p[2]]; }) },
          ], 'tps-chart'));
        })),
      ]);
    });
  };

  C.pages.topics = function (box) {
    return C.api('topics').then(function (topics) {
      var form = h('form', { id: 'topic-filter', onsubmit: function (e) { e.preventDefault(); } },
        C.field('Filter', 'q', { placeholder: 'topic name contains', oninput: draw }),
        h('label', null, 'System topics', h('input', { type: 'checkbox', name: 'system', onchange: draw })));
      var holder = h('div');
      function draw() {
        var v = C.values(form), q = (v.q || '').toLowerCase();
        var rows = topics.filter(function (t) { return (v.system || t.kind === 'normal') && t.topic.toLowerCase().indexOf(q) >= 0; });
        holder.replaceChildren(C.table([
          ['Topic', function (t) { return C.link(C.hashOf('topic', t.topic), t.topic); }],
          ['Kind', function (t) { return h('span', { class: 'tag ' + t.kind }, t.kind); }],
        ], rows, 'topics'), h('p', { class: 'muted' }, rows.length + ' of ' + topics.length + ' topics'));
      }
      draw();
      C.append(box, [h('h1', null, 'Topics'), h('div', { class: 'card' }, form), holder]);
    });
  };

  C.pages.topic = function (box, topic) {
    return C.api('topic', { topic: topic }).then(function (t) {
      var total = t.queues.reduce(function (s, q) { return s + (q.maxOffset - q.minOffset); }, 0);
      C.append(box, [
        h('h1', null, 'Topic ', h('span', { id: 'topic-name' }, t.topic)),
        h('div', { class: 'card' },
          h('span', { class: 'stat' }, h('b', null, t.queues.length), 'queues'),
          h('span', { class: 'stat' }, h('b', { id: 'topic-total' }, C.fmt(total)), 'messages kept')),
        t.errors.map(C.error),
        h('h2', null, 'Route'),
        C.table([
          ['Broker', function (q) { return q.brokerName; }],
          ['Read queues', function (q) { return q.readQueueNums; }, 'num'],
          ['Write queues', function (q) { return q.writeQueueNums; }, 'num'],
          ['Perm', function (q) { return (q.perm & 4 ? 'R' : '-') + (q.perm & 2 ? 'W' : '-') + ' (' + q.perm + ')'; }],
          ['Addresses', function (q) {
            var b = t.route.brokerDatas.find(function (x) { return x.brokerName === q.brokerName; });
            return b ? Object.keys(b.brokerAddrs).map(function (id) { return id + ': ' + b.brokerAddrs[id]; }).join(', ') : '';
          }],
        ], t.route.queueDatas, 'route'),
        h('h2', null, 'Queues'),
        C.table([
          ['Broker', function (q) { return q.brokerName; }],
          ['Queue', function (q) { return q.queueId; }, 'num'],
          ['Min offset', function (q) { return q.minOffset; }, 'num'],
          ['Max offset', function (q) { return q.maxOffset; }, 'num'],
          ['Messages', function (q) { return C.fmt(q.maxOffset - q.minOffset); }, 'num'],
          ['Last stored', function (q) { return C.time(q.lastTimestamp); }],
          ['', function (q) {
            return q.maxOffset > q.minOffset ? C.link('#/messages/' + encodeURIComponent(JSON.stringify({ topic: t.topic, brokerName: q.brokerName, queueId: q.queueId, offset: q.maxOffset - 1 })), 'last message') : '';
          }],
        ], t.queues, 'queues'),
      ]);
    });
  };

  C.pages.groups = function (box) {
    var system = /system=1/.test(location.hash);
    return C.api('groups', system ? { system: '1' } : undefined).then(function (groups) {
      C.append(box, [
        h('h1', null, 'Consumer groups'),
        h('p', null, h('label', null, 'System groups', h('input', { type: 'checkbox', checked: system, onchange: function (e) { location.hash = e.target.checked ? '#/groups/system=1' : '#/groups'; } }))),
        C.table([
          ['Group', function (g) { return C.link(C.hashOf('group', g.group), g.group); }],
          ['Members', function (g) { return g.members; }, 'num'],
          ['Model', function (g) { return g.messageModel; }],
          ['Topics', function (g) { return g.topics.join(', '); }],
          ['Lag', function (g) { return C.fmt(g.lag); }, 'num'],
          ['Consume TPS', function (g) { return C.fmt(g.consumeTps); }, 'num'],
        ], groups, 'groups'),
      ]);
    });
  };

  C.pages.group = function (box, group) {
    if (/^system=/.test(group)) return C.pages.groups(box);
    return Promise.all([C.api('group', { group: group }), C.api('history')]).then(function (r) {
      var g = r[0], pts = r[1].groups[group] || [], conn = g.connection;
      var topics = [];
      g.queues.forEach(function (q) { if (topics.indexOf(q.topic) < 0 && q.topic.indexOf('%RETRY%') !== 0) topics.push(q.topic); });
      (conn ? conn.subscriptions : []).forEach(function (s) { if (topics.indexOf(s.topic) < 0 && s.topic.indexOf('%RETRY%') !== 0) topics.push(s.topic); });
      C.append(box, [
        h('h1', null, 'Consumer group ', h('span', { id: 'group-name' }, g.group)),
        h('div', { class: 'card' },
          h('span', { class: 'stat' }, h('b', { id: 'group-lag' }, C.fmt(g.lag)), 'messages behind'),
          h('span', { class: 'stat' }, h('b', null, C.fmt(g.consumeTps)), 'consume TPS'),
          h('span', { class: 'stat' }, h('b', { id: 'group-members' }, conn ? conn.connections.length : 0), 'members online'),
          conn ? h('span', { class: 'stat' }, h('b', null, conn.messageModel), conn.consumeType) : null),
        g.errors.map(C.error),
        h('div', { class: 'grid' },
          h('div', { class: 'card' }, C.chart('Lag (messages)', [{ name: 'lag', points: pts.map(function (p) { return [p[0], p[1]]; }) }], 'lag-chart')),
          h('div', { class: 'card' }, C.chart('Consume TPS', [{ name: 'consume', points: pts.map(function (p) { return [p[0], p[2]]; }) }], 'group-tps-chart'))),
        h('h2', null, 'Members'),
        C.table([
          ['Client ID', function (c) { return c.clientId; }],
          ['Address', function (c) { return c.clientAddr; }],
          ['Language', function (c) { return c.language; }],
          ['Version', function (c) { return c.version; }, 'num'],
        ], conn ? conn.connections : [], 'members'),
        conn ? h('p', { class: 'muted' }, 'Subscriptions: ' + conn.subscriptions.map(function (s) { return s.topic + ' (' + s.expression + ')'; }).join(', ')) : null,
        h('h2', null, 'Lag per queue'),
        C.table([
          ['Topic', function (q) { return C.link(C.hashOf('topic', q.topic), q.topic); }],
          ['Broker', function (q) { return q.brokerName; }],
          ['Queue', function (q) { return q.queueId; }, 'num'],
          ['Broker offset', function (q) { return q.brokerOffset; }, 'num'],
          ['Consumer offset', function (q) { return q.consumerOffset; }, 'num'],
          ['Lag', function (q) { return q.lag; }, 'num'],
          ['Last consumed', function (q) { return C.time(q.lastTimestamp); }],
        ], g.queues, 'group-queues'),
        h('h2', null, 'Reset offset by time'),
        resetForm(g.group, topics),
      ]);
    });
  };

  function resetForm(group, topics) {
    var out = h('div', { id: 'reset-result' });
    var local = new Date(Date.now() - 3600e3 - new Date().getTimezoneOffset() * 60e3).toISOString().slice(0, 19);
    var form = h('form', { id: 'reset-form', onsubmit: function (e) {
      e.preventDefault();
      var v = C.values(form);
      var ts = v.timestamp ? Number(v.timestamp) : new Date(v.time).getTime();
      out.replaceChildren('resetting…');
      C.post('reset-offset', { group: group, topic: v.topic, timestamp: ts }).then(function (r) {
        out.replaceChildren(h('div', { class: 'ok' }, 'Reset ' + r.queues.length + ' queues (' + (r.mode === 'online' ? 'members told to seek' : 'no member online: offsets committed') + ')'),
          C.table([
            ['Broker', function (q) { return q.brokerName; }],
            ['Queue', function (q) { return q.queueId; }, 'num'],
            ['Before', function (q) { return q.before === undefined ? '' : q.before; }, 'num'],
            ['New offset', function (q) { return q.offset; }, 'num'],
          ], r.queues, 'reset-queues'));
      }).catch(function (e) { out.replaceChildren(C.error(e)); });
    } },
      h('label', null, 'Topic', h('select', { name: 'topic' }, topics.map(function (t) { return h('option', { value: t }, t); }))),
      C.field('Time (local)', 'time', { type: 'datetime-local', step: '1', value: local }),
      C.field('or epoch ms', 'timestamp', { placeholder: 'overrides the time', size: 16 }),
      h('button', { type: 'submit' }, 'Reset offsets'));
    return h('div', { class: 'card' }, form, out);
  }
})();
`;
