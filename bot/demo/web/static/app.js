// The sandbox page: renders the emulated workspace the way Slack does and sends what a
// person does to the sandbox, which signs and delivers it to the bot like Slack.
"use strict";

const view = { user: "U0ALICE", channel: null, home: false, data: null };
const $ = (id) => document.getElementById(id);

function escapeHtml(text) {
  // Slack text arrives with &, < and > already escaped; only stray ones are escaped here.
  return String(text)
    .replace(/&(?!(amp|lt|gt|quot|#\d+);)/g, "&amp;")
    .replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function token(inner) {
  const [ref, label] = inner.split("|", 2);
  const data = view.data;
  if (ref.startsWith("@")) {
    const name = label || data.users[ref.slice(1)] || ref.slice(1);
    return `<span class="mention">@${escapeHtml(name)}</span>`;
  }
  if (ref.startsWith("#")) {
    const channel = data.channels.find((c) => c.id === ref.slice(1));
    return `<span class="mention">#${escapeHtml(label || (channel ? channel.name : ref.slice(1)))}</span>`;
  }
  if (ref.startsWith("!subteam^")) {
    const handle = label || data.usergroups[ref.slice(9)] || ref.slice(9);
    return `<span class="mention">@${escapeHtml(handle.replace(/^@/, ""))}</span>`;
  }
  if (ref.startsWith("!")) return `<span class="mention">@${escapeHtml(label || ref.slice(1))}</span>`;
  const url = ref.replace(/&amp;/g, "&");
  if (!/^(https?|mailto):/.test(url)) return escapeHtml(label || ref);
  return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener">${escapeHtml(label || url)}</a>`;
}

function inline(text) {
  return text
    .replace(/`([^`\n]+)`/g, (_, code) => `<code>${code}</code>`)
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, "$1<b>$2</b>")
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/g, "$1<i>$2</i>")
    .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,:;!?])/g, "$1<s>$2</s>");
}

function mrkdwn(text) {
  // Code blocks first (nothing inside them is formatted), then tokens, then emphasis.
  const parts = String(text || "").split(/```/);
  return parts.map((part, i) => {
    if (i % 2 === 1) return `<pre>${escapeHtml(part)}</pre>`;
    const pieces = part.split(/<([^<>]+)>/);
    const html = pieces.map((piece, j) => (j % 2 === 1 ? token(piece) : inline(escapeHtml(piece)))).join("");
    return html.split("\n").map((line) =>
      line.startsWith("&gt; ") ? `<blockquote>${line.slice(5)}</blockquote>` : line).join("<br>");
  }).join("");
}

function textObject(obj) {
  if (!obj) return "";
  return obj.type === "mrkdwn" ? mrkdwn(obj.text) : escapeHtml(obj.text);
}

function renderBlocks(blocks, message) {
  return blocks.map((block) => {
    switch (block.type) {
      case "header": return `<div class="block-header">${escapeHtml(block.text.text)}</div>`;
      case "divider": return `<hr class="block-divider">`;
      case "context":
        return `<div class="block-context">${(block.elements || []).map((e) =>
          e.type === "image" ? "" : textObject(e)).join(" ")}</div>`;
      case "section": {
        let html = block.text ? `<div>${textObject(block.text)}</div>` : "";
        if (block.fields) html += `<div class="fields">${block.fields.map((f) => `<div>${textObject(f)}</div>`).join("")}</div>`;
        if (block.accessory && block.accessory.type === "button") html += buttons([block.accessory], message);
        return `<div class="block-section">${html}</div>`;
      }
      case "actions": return buttons(block.elements || [], message);
      case "rich_text": return "";
      default: return `<div class="block-context">[${escapeHtml(block.type)} block]</div>`;
    }
  }).join("");
}

function buttons(elements, message) {
  const html = elements.filter((e) => e.type === "button").map((e) => {
    const payload = encodeURIComponent(JSON.stringify({
      channel: message.channel, ts: message.ts, action_id: e.action_id, value: e.value || "",
      confirm: e.confirm || null,
    }));
    if (e.url) return `<a href="${escapeHtml(e.url)}" target="_blank" rel="noopener"><button>${escapeHtml(e.text.text)}</button></a>`;
    return `<button class="${escapeHtml(e.style || "")}" data-click="${payload}" data-action-id="${escapeHtml(e.action_id)}" data-value="${escapeHtml(e.value || "")}">${escapeHtml(e.text.text)}</button>`;
  }).join("");
  return `<div class="block-actions">${html}</div>`;
}

function renderMessage(message, pinned) {
  const data = view.data;
  const who = message.user === data.bot ? "smokejumper" : (data.users[message.user] || message.user);
  const when = new Date(parseFloat(message.ts) * 1000).toISOString().slice(11, 16);
  const body = message.blocks && message.blocks.length && message.blocks.some((b) => b.type !== "rich_text")
    ? renderBlocks(message.blocks, message) : `<div>${mrkdwn(message.text)}</div>`;
  const reactions = Object.entries(message.reactions || {}).map(([name, n]) =>
    `<span>${name === "pushpin" ? "📌" : ":" + escapeHtml(name) + ":"} ${n}</span>`).join("");
  const only = message.ephemeral ? `<div class="only">👁 Only visible to you</div>` : "";
  const react = message.ephemeral ? "" :
    `<button class="react" title="Add 📌 (adds the message to the timeline)" data-react="${message.ts}">📌</button>`;
  return `<div class="msg${message.ephemeral ? " ephemeral" : ""}" data-ts="${message.ts}">
    ${only}<span class="who">${escapeHtml(who)}</span><span class="when">${when}</span>
    ${message.edited ? '<span class="edited">(edited)</span>' : ""}
    ${pinned ? '<span class="pinned-mark">📌 pinned</span>' : ""}
    ${body}<div class="reactions">${reactions}</div>${react}</div>`;
}

function render() {
  const data = view.data;
  if (!data) return;
  const channels = data.channels;
  if (!view.home && (!view.channel || !channels.some((c) => c.id === view.channel))) {
    const first = channels.find((c) => c.name.startsWith("inc-")) || channels[0];
    view.channel = first ? first.id : null;
  }
  $("channels").innerHTML = channels.map((c) =>
    `<li data-channel="${c.id}" class="${!view.home && c.id === view.channel ? "active" : ""}"># ${escapeHtml(c.name)}</li>`).join("");
  $("home-link").classList.toggle("active", view.home);
  const scroller = $("messages");
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  if (view.home) {
    $("channel-name").textContent = "🏠 smokejumper — Home";
    $("channel-topic").textContent = "";
    $("pins").hidden = true;
    $("composer").hidden = true;
    const home = data.home;
    scroller.innerHTML = home ? `<div class="msg">${renderBlocks(home.blocks || [], { channel: "", ts: "" })}</div>`
      : `<div class="msg">The Home tab has not been published yet.</div>`;
  } else {
    const channel = channels.find((c) => c.id === view.channel);
    $("composer").hidden = !channel;
    $("pins").hidden = !channel;
    if (channel) {
      $("channel-name").textContent = "# " + channel.name;
      $("channel-topic").innerHTML = channel.topic ? mrkdwn(channel.topic) : "<i>no topic</i>";
      const pinned = new Set(channel.pins);
      const messages = channel.messages.map((m) => ({ ...m, channel: channel.id }))
        .concat(data.ephemerals.filter((e) => e.channel === channel.id))
        .sort((a, b) => parseFloat(a.ts) - parseFloat(b.ts));
      scroller.innerHTML = messages.map((m) => renderMessage(m, pinned.has(m.ts))).join("");
      $("pin-list").innerHTML = channel.messages.filter((m) => pinned.has(m.ts)).map((m) =>
        `<div class="pin">${mrkdwn((m.text || "").split("\n")[0])}</div>`).join("") || "<i>nothing pinned</i>";
    }
  }
  if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  $("tickets").innerHTML = data.tickets.map((t) => `<div class="ticket">
      <b>${escapeHtml(t.number)}</b> ${escapeHtml(t.short_description)}<br>
      state ${escapeHtml(t.state)} · priority ${escapeHtml(t.priority)}${t.close_code ? " · " + escapeHtml(t.close_code) : ""}
      <div class="notes">${t.work_notes.map((n) => escapeHtml(n)).join("\n\n")}</div></div>`).join("")
    || "<i>no ticket yet</i>";
  $("deployments").innerHTML = "<tr><th>deployment</th><th>replicas</th><th>image</th><th>restarted</th></tr>" +
    data.deployments.map((d) => `<tr><td>${escapeHtml(d.namespace)}/${escapeHtml(d.name)}</td>
      <td>${d.replicas}</td><td>${escapeHtml(d.image.split("/").pop())}</td>
      <td class="${d.restarted_at ? "restarted" : ""}">${escapeHtml(d.restarted_at ? d.restarted_at.slice(11, 19) : "—")}</td></tr>`).join("");
  $("pages").textContent = `${data.pages} page(s) sent`;
}

async function refresh() {
  const response = await fetch(`/api/state?user=${encodeURIComponent(view.user)}`);
  if (response.ok) { view.data = await response.json(); render(); }
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  await refresh();
  return response;
}

function confirmFirst(confirm) {
  if (!confirm) return Promise.resolve(true);
  $("confirm-title").textContent = confirm.title ? confirm.title.text : "Are you sure?";
  $("confirm-text").innerHTML = textObject(confirm.text);
  $("confirm-ok").textContent = confirm.confirm ? confirm.confirm.text : "Yes";
  $("confirm-ok").className = confirm.style === "danger" ? "danger" : "";
  $("confirm-deny").textContent = confirm.deny ? confirm.deny.text : "Cancel";
  const dialog = $("confirm");
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

document.addEventListener("click", async (event) => {
  const target = event.target.closest("[data-click],[data-react],[data-channel]");
  if (!target) return;
  event.preventDefault();
  if (target.dataset.channel) {
    view.channel = target.dataset.channel; view.home = false; render(); return;
  }
  if (target.dataset.react) {
    await post("/api/react", { user: view.user, channel: view.channel, ts: target.dataset.react, reaction: "pushpin" });
    return;
  }
  const click = JSON.parse(decodeURIComponent(target.dataset.click));
  if (!(await confirmFirst(click.confirm))) return;
  await post("/api/click", {
    user: view.user, channel: click.channel || view.channel, ts: click.ts,
    action_id: click.action_id, value: click.value,
  });
});

$("home-link").addEventListener("click", async (event) => {
  event.preventDefault();
  view.home = true;
  render();
  await post("/api/home", { user: view.user });
});

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("input").value.trim();
  if (!text || !view.channel) return;
  $("input").value = "";
  await post("/api/command", { user: view.user, channel: view.channel, text });
});

$("demo").addEventListener("change", async () => {
  const name = $("demo").value;
  $("demo").value = "";
  if (name) await post("/api/alerts", { name });
});

$("later").addEventListener("click", () => post("/api/later", { minutes: "31" }));

$("user").addEventListener("change", () => { view.user = $("user").value; refresh(); });

async function start() {
  const demo = await (await fetch("/api/demo")).json();
  $("demo").innerHTML += demo.alerts.map((n) => `<option>${escapeHtml(n)}</option>`).join("");
  await refresh();
  $("user").innerHTML = Object.entries(view.data.users).map(([id, name]) =>
    `<option value="${id}"${id === view.user ? " selected" : ""}>@${escapeHtml(name)}</option>`).join("");
  const events = new EventSource("/api/events");
  events.onopen = () => { $("live").textContent = "● live"; };
  events.onerror = () => { $("live").textContent = "reconnecting…"; };
  events.onmessage = () => refresh();
}

start();
