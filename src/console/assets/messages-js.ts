/**
 * The page's script, part 2b: message lookup (by id, key, or queue and offset) and sending a test
 * message. A message's body and properties are shown as text in <pre> and table cells.
 */
export const MESSAGES_JS = String.raw`
(function () {
  var C = window.Console, h = C.h;

  C.messageCard = function (m) {
    return h('div', { class: 'card message', 'data-msgid': m.msgId },
      C.kv([
        ['Topic', m.topic],
        ['Message ID', h('span', { class: 'msgid' }, m.msgId)],
        ['Offset message ID', m.offsetMsgId],
        ['Queue', m.queueId + ' @ offset ' + m.queueOffset],
        ['Tags', m.tags],
        ['Keys', h('span', { class: 'keys' }, m.keys)],
        ['Born', C.time(m.bornTimestamp) + ' from ' + m.bornHost],
        ['Stored', C.time(m.storeTimestamp) + ' on ' + m.storeHost + ', commit log offset ' + m.commitLogOffset],
        ['Reconsume times', m.reconsumeTimes],
      ]),
      h('h2', null, 'Properties'),
      C.table([['Name', function (p) { return p[0]; }], ['Value', function (p) { return p[1]; }]], m.properties, null),
      h('h2', null, 'Body (' + m.bodyBytes + ' bytes' + (m.bodyEncoding === 'hex' ? ', hex' : '') + (m.bodyTruncated ? ', first 4096 shown' : '') + ')'),
      h('pre', { class: 'body' }, m.bodyPreview));
  };

  function lookupForm(id, title, fields, run) {
    var out = h('div', { class: 'results', id: id + '-result' });
    var form = h('form', { id: id, onsubmit: function (e) {
      e.preventDefault();
      out.replaceChildren('searching…');
      run(C.values(form)).then(function (r) {
        var msgs = Array.isArray(r) ? r : r.messages;
        var note = Array.isArray(r) ? null : h('p', { class: 'muted' }, 'pull status ' + r.status + ', queue offsets ' + r.minOffset + '..' + r.maxOffset);
        out.replaceChildren.apply(out, [h('p', { class: msgs.length ? 'ok' : 'error' }, msgs.length + ' message(s) found'), note || ''].concat(msgs.map(C.messageCard)));
      }).catch(function (e) { out.replaceChildren(C.error(e)); });
    } }, fields, h('button', { type: 'submit' }, 'Search'));
    return h('div', null, h('h2', null, title), h('div', { class: 'card' }, form), out);
  }

  C.pages.messages = function (box, arg) {
    var pre = {};
    try { pre = arg ? JSON.parse(arg) : {}; } catch (e) { pre = {}; }
    var byOffset = lookupForm('by-offset', 'By queue and offset', [
      C.field('Topic', 'topic', { value: pre.topic || '', required: true }),
      C.field('Broker', 'brokerName', { value: pre.brokerName || '', placeholder: 'first in route' }),
      C.field('Queue ID', 'queueId', { value: pre.queueId === undefined ? '0' : pre.queueId, size: 5 }),
      C.field('Offset', 'offset', { value: pre.offset === undefined ? '0' : pre.offset, size: 10 }),
    ], function (v) { return C.api('message/offset', v); });
    C.append(box, [
      h('h1', null, 'Messages'),
      lookupForm('by-id', 'By message ID', [
        C.field('Topic', 'topic', { value: pre.topic || '', placeholder: 'needed for a client message ID' }),
        C.field('Message ID', 'msgId', { value: pre.msgId || '', size: 36, required: true }),
      ], function (v) { return C.api('message/id', v); }),
      lookupForm('by-key', 'By key', [
        C.field('Topic', 'topic', { value: pre.topic || '', required: true }),
        C.field('Key', 'key', { required: true }),
      ], function (v) { return C.api('message/key', v); }),
      byOffset,
    ]);
    if (pre.queueId !== undefined) setTimeout(function () { byOffset.querySelector('form').requestSubmit(); });
    if (pre.msgId) setTimeout(function () { box.querySelector('#by-id').requestSubmit(); });
  };

  C.pages.send = function (box) {
    var out = h('div', { id: 'send-result' });
    var form = h('form', { id: 'send-form', onsubmit: function (e) {
      e.preventDefault();
      var v = C.values(form);
      out.replaceChildren('sending…');
      C.post('send', v).then(function (r) {
        out.replaceChildren(h('div', { class: 'ok' }, 'SEND_OK'), C.kv([
          ['Message ID', h('span', { id: 'sent-msgid' }, r.msgId)],
          ['Offset message ID', h('span', { id: 'sent-offset-msgid' }, r.offsetMsgId)],
          ['Queue', r.brokerName + ' / ' + r.queueId],
          ['Queue offset', h('span', { id: 'sent-queue-offset' }, r.queueOffset)],
          ['', C.link('#/messages/' + encodeURIComponent(JSON.stringify({ topic: v.topic, msgId: r.msgId })), 'look it up')],
        ]));
      }).catch(function (e) { out.replaceChildren(C.error(e)); });
    } },
      C.field('Topic', 'topic', { required: true }),
      C.field('Tags', 'tags'),
      C.field('Keys', 'keys', { placeholder: 'space-separated' }),
      C.field('Queue ID', 'queueId', { placeholder: 'any', size: 5 }),
      C.field('Body', 'body', { tag: 'textarea', required: true }),
      h('button', { type: 'submit' }, 'Send'));
    C.append(box, [h('h1', null, 'Send a test message'), h('div', { class: 'card' }, form), out]);
  };
})();
`;
