/* The playground's page: draws the workspace's state (pushed over server-sent
 * events) and sends what you do to the stand-in, which passes it to the bot as
 * Slack would. */
(function () {
  "use strict";
  const { el, render, state: collect, carryOver, plainText, textHtml } = window.BlockKit;

  let current = null; // the last state the server pushed
  let me = localStorage.getItem("playground.person") || "";
  let where = localStorage.getItem("playground.conversation") || "home";
  const drawn = { conversation: "", modal: "", panel: "", home: "" };

  const $ = (id) => document.getElementById(id);

  async function post(path, body) {
    const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch (error) {
      return { ok: false, error: text || response.statusText };
    }
  }

  function names() {
    const users = { [current.bot.id]: current.bot.name };
    current.people.forEach((p) => (users[p.id] = p.name));
    const channels = {};
    current.channels.forEach((c) => (channels[c.id] = c.name));
    return { users, channels };
  }

  function person() {
    return current.people.find((p) => p.id === me) || current.people[0];
  }

  function confirmDialog(confirm) {
    return new Promise((resolve) => {
      const layer = $("confirm-layer");
      const done = (answer) => {
        layer.textContent = "";
        resolve(answer);
      };
      const ok = el("button", { type: "button", className: "bk-button " + (confirm.style === "danger" ? "danger" : "primary"), text: plainText(confirm.confirm) || "Yes" });
      const no = el("button", { type: "button", className: "bk-button", text: plainText(confirm.deny) || "Cancel" });
      ok.addEventListener("click", () => done(true));
      no.addEventListener("click", () => done(false));
      layer.appendChild(
        el("div", { className: "overlay" }, [
          el("div", { className: "confirm", role: "alertdialog", "data-testid": "confirm" }, [
            el("h1", { text: plainText(confirm.title) || "Are you sure?" }),
            el("div", { className: "bk-text", html: textHtml(confirm.text, names()) }),
            el("div", { className: "buttons" }, [no, ok]),
          ]),
        ])
      );
    });
  }

  function context(source, root) {
    return {
      names: names(),
      errors: source.errors || {},
      confirm: confirmDialog,
      onAction: (action) => {
        const body = { user: person().id, source: source.where, action, state: root() ? collect(root()) : {} };
        return post("/ui/action", body).then((answer) => {
          if (!answer.ok) note("the bot did not acknowledge that click (" + (answer.status || answer.error) + ")");
        });
      },
      onOptions: (element, blockId, value) =>
        post("/ui/options", { user: person().id, source: source.where, action_id: element.action_id, block_id: blockId, value }),
    };
  }

  function note(text) {
    $("composer-note").textContent = text || "";
  }

  function when(ts) {
    const date = new Date(parseFloat(ts) * 1000);
    return date.toISOString().slice(0, 16).replace("T", " ");
  }

  function messageNode(message, conversation, ephemeral) {
    const holder = {};
    const where = ephemeral ? { kind: "ephemeral", id: message.id, channel: conversation } : { kind: "message", channel: conversation, ts: message.ts };
    const ctx = context({ where }, () => holder.node);
    const body = message.blocks && message.blocks.length ? render(message.blocks, ctx) : el("div", { className: "bk-text", html: window.BlockKit.mrkdwn(message.text, ctx.names) });
    const header = el("div", {}, [
      el("span", { className: "author" }, [current.bot.name, el("span", { className: "app", text: "APP" })]),
      el("span", { className: "when", text: when(message.ts || message.id) }),
      message.edited ? el("span", { className: "edited", text: "(edited)" }) : null,
    ]);
    const parts = [header, body];
    if (ephemeral) {
      const dismiss = el("button", { type: "button", text: "Dismiss message" });
      dismiss.addEventListener("click", () => holder.node.remove());
      parts.unshift(el("div", { className: "ephemeral-note" }, ["Only visible to you · ", dismiss]));
    }
    holder.node = el(
      "div",
      {
        className: "message" + (ephemeral ? " ephemeral" : ""),
        "data-testid": ephemeral ? "ephemeral" : "message",
        "data-ts": message.ts || message.id,
      },
      [el("div", { className: "avatar", text: "B" }), el("div", {}, parts)]
    );
    return holder.node;
  }

  function conversations() {
    const mine = person();
    return [{ id: "home", name: "Benefits — Home" }]
      .concat(current.channels.map((c) => ({ id: c.id, name: "#" + c.name })))
      .concat([{ id: mine.dm, name: "Benefits (app) — DM with " + mine.name }]);
  }

  function drawSidebar() {
    const mine = person();
    const channels = $("channel-list");
    channels.textContent = "";
    current.channels.forEach((c) => channels.appendChild(navButton(c.id, "# " + c.name, "nav-" + c.name)));
    const dms = $("dm-list");
    dms.textContent = "";
    dms.appendChild(navButton(mine.dm, "Benefits (app)", "nav-dm"));
    document.querySelectorAll(".sidebar .nav").forEach((node) => node.classList.toggle("active", node.getAttribute("data-conversation") === where));
  }

  function navButton(id, label, testid) {
    const node = el("button", { type: "button", className: "nav", "data-conversation": id, "data-testid": testid, text: label });
    node.addEventListener("click", () => go(id));
    return node;
  }

  function go(id) {
    where = id;
    localStorage.setItem("playground.conversation", id);
    drawn.conversation = "";
    drawn.home = "";
    if (id === "home") post("/ui/home", { user: person().id });
    draw();
  }

  function drawConversation() {
    const mine = person();
    const known = conversations().map((c) => c.id);
    if (!known.includes(where)) where = mine.dm;
    const title = conversations().find((c) => c.id === where).name;
    $("conversation-title").textContent = title;
    const box = $("messages");
    if (where === "home") {
      const home = current.homes[mine.id];
      const key = "home:" + mine.id + ":" + JSON.stringify(home || null);
      if (drawn.home === key) return;
      drawn.home = key;
      drawn.conversation = "";
      box.textContent = "";
      if (!home) {
        box.appendChild(el("p", { className: "empty home", text: "The bot has not published a Home tab for you yet." }));
        return;
      }
      const holder = {};
      holder.node = el("div", { className: "home", "data-testid": "home" }, [render(home.blocks, context({ where: { kind: "view", view_id: home.id } }, () => holder.node))]);
      box.appendChild(holder.node);
      return;
    }
    const messages = current.messages[where] || [];
    const ephemerals = current.ephemerals.filter((e) => e.user === mine.id && e.channel === where);
    const key = where + ":" + mine.id + ":" + JSON.stringify(messages) + JSON.stringify(ephemerals);
    if (drawn.conversation === key) return;
    drawn.conversation = key;
    drawn.home = "";
    const items = messages.map((m) => ({ at: parseFloat(m.ts), node: () => messageNode(m, where, false) }));
    ephemerals.forEach((e) => items.push({ at: parseFloat(e.id), node: () => messageNode(e, where, true) }));
    items.sort((a, b) => a.at - b.at);
    box.textContent = "";
    if (!items.length) box.appendChild(el("p", { className: "empty", style: "padding: 0 20px", text: "No messages yet. Type /benefits help below." }));
    items.forEach((item) => box.appendChild(item.node()));
    box.scrollTop = box.scrollHeight;
  }

  function drawModal() {
    const mine = person();
    const stack = current.modals[mine.id] || [];
    const view = stack[stack.length - 1];
    const key = view ? mine.id + ":" + JSON.stringify(view) : "";
    if (drawn.modal === key) return;
    const layer = $("modal-layer");
    const before = layer.querySelector(".modal");
    drawn.modal = key;
    if (!view) {
      layer.textContent = "";
      return;
    }
    const holder = {};
    const body = el("div", { className: "modal-body" }, [render(view.blocks, context({ where: { kind: "view", view_id: view.id }, errors: view.errors }, () => holder.node))]);
    const close = el("button", { type: "button", className: "bk-button", text: plainText(view.close) || "Cancel" });
    const closeX = el("button", { type: "button", className: "close-x", "aria-label": "Close", text: "×" });
    const problem = el("div", { className: "modal-error", role: "alert", "data-testid": "modal-error" });
    const closeIt = () => post("/ui/close", { user: mine.id, view_id: view.id });
    close.addEventListener("click", closeIt);
    closeX.addEventListener("click", closeIt);
    const footer = el("footer", {}, [close]);
    if (view.submit) {
      const submit = el("button", { type: "button", className: "bk-button primary", "data-testid": "modal-submit", text: plainText(view.submit) });
      submit.addEventListener("click", async () => {
        submit.setAttribute("aria-busy", "true");
        const answer = await post("/ui/submit", { user: mine.id, view_id: view.id, state: collect(holder.node) });
        submit.removeAttribute("aria-busy");
        problem.textContent = answer.error || "";
      });
      footer.appendChild(submit);
    }
    holder.node = el("div", { className: "modal", role: "dialog", "aria-modal": "true", "data-testid": "modal", "data-view-id": view.id }, [
      el("header", {}, [el("h1", { text: plainText(view.title) }), closeX]),
      body,
      problem,
      footer,
    ]);
    if (before && before.getAttribute("data-view-id") === view.id) carryOver(before, holder.node);
    layer.textContent = "";
    layer.appendChild(el("div", { className: "overlay" }, [holder.node]));
  }

  function rows(target, items, line, empty) {
    const box = $(target);
    box.textContent = "";
    if (!items.length) box.appendChild(el("div", { className: "empty", text: empty }));
    items.forEach((item) => box.appendChild(line(item)));
  }

  function drawPanel() {
    const key = JSON.stringify([current.outbox, current.audit, current.calls]);
    if (drawn.panel === key) return;
    drawn.panel = key;
    const who = names().users;
    rows(
      "outbox",
      current.outbox,
      (p) =>
        el("div", { className: "row" + (p.state === "parked" ? " failed" : ""), "data-testid": "outbox-row" }, [
          el("div", {}, [el("strong", { text: p.kind }), " → " + (who[p.recipient] || p.recipient)]),
          el("div", { className: "meta", text: p.state + " · due " + p.due_at.slice(0, 16).replace("T", " ") + (p.attempts ? " · " + p.attempts + " attempts" : "") + (p.last_error ? " · " + p.last_error : "") }),
        ]),
      "nothing queued yet"
    );
    rows(
      "audit",
      current.audit,
      (a) =>
        el("div", { className: "row", "data-testid": "audit-row" }, [
          el("div", {}, [el("strong", { text: a.action }), " " + a.subject]),
          el("div", { className: "meta", text: a.at.slice(0, 16).replace("T", " ") + " · " + (who[a.actor] || a.actor) + (a.detail ? " · " + a.detail : "") }),
        ]),
      "no entries yet"
    );
    rows(
      "calls",
      current.calls.slice().reverse(),
      (c) =>
        el("div", { className: "row" + (c.ok ? "" : " failed"), "data-testid": "call-row" }, [
          el("div", {}, [el("strong", { text: c.method }), c.channel ? " " + c.channel : "", c.ok ? "" : " → " + (c.error || c.status)]),
          c.errors && c.errors.length ? el("code", { text: c.errors.join("\n") }) : null,
        ]),
      "no calls yet"
    );
  }

  function drawTop() {
    const select = $("person");
    if (select.options.length !== current.people.length) {
      select.textContent = "";
      current.people.forEach((p) => select.appendChild(el("option", { value: p.id, text: p.name })));
    }
    select.value = person().id;
    $("person-title").textContent = person().title;
    $("workspace").textContent = current.team;
    $("clock").textContent = current.now.slice(0, 16).replace("T", " ") + " UTC";
    $("clock").setAttribute("data-now", current.now);
  }

  function draw() {
    if (!current) return;
    drawTop();
    drawSidebar();
    drawConversation();
    drawModal();
    drawPanel();
    document.body.setAttribute("data-version", current.version);
  }

  $("person").addEventListener("change", (event) => {
    me = event.target.value;
    localStorage.setItem("playground.person", me);
    drawn.modal = null; // whatever the new person has (even nothing) is drawn anew
    note("");
    go(where);
  });

  $("composer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("composer").value.trim();
    if (!text) return;
    if (!text.startsWith("/")) {
      note("The bot answers commands only: type /benefits help");
      return;
    }
    const channel = where === "home" ? person().dm : where;
    if (where === "home") go(channel);
    $("composer").value = "";
    note("");
    const answer = await post("/ui/command", { user: person().id, channel, text });
    if (!answer.ok && answer.error) note(answer.error);
  });

  $("nav-home").addEventListener("click", () => go("home"));

  $("clock-move").addEventListener("click", async () => {
    const hours = parseFloat($("clock-amount").value || "0") * parseFloat($("clock-unit").value);
    const answer = await post("/ui/clock", { hours });
    note(answer.ok ? "" : answer.error);
  });

  function listen() {
    const source = new EventSource("/ui/events");
    source.onmessage = (event) => {
      current = JSON.parse(event.data);
      draw();
    };
    source.onerror = () => note("lost the connection to the playground; retrying…");
    source.onopen = () => note("");
  }

  fetch("/ui/state")
    .then((r) => r.json())
    .then((state) => {
      current = state;
      if (!current.people.some((p) => p.id === me)) me = current.people[0].id;
      draw();
      if (where === "home") post("/ui/home", { user: person().id });
      listen();
    });
})();
