/* Block Kit, drawn in plain DOM. mrkdwn goes through slack-to-html (vendor/).
 *
 * BlockKit.render(blocks, ctx) draws a list of blocks; ctx:
 *   names: {users: {id: name}, channels: {id: name}}  for mentions
 *   errors: {block_id: message}                        inline errors of a modal
 *   onAction(action)   a click or choice Slack would send as block_actions
 *   onOptions(element, blockId, query) -> Promise<{options, option_groups}>
 *   confirm(confirmObject) -> Promise<boolean>
 * BlockKit.state(root) collects view.state.values of the inputs under root.
 */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "className") node.className = value;
      else if (key === "html") node.innerHTML = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function options(names) {
    return {
      users: (names && names.users) || {},
      channels: (names && names.channels) || {},
      markdown: true,
      dateTimeZone: "UTC",
    };
  }

  function mrkdwn(text, names) {
    return window.slackToHtml.escapeForSlackWithMarkdown(text || "", options(names));
  }

  function plain(text, emoji, names) {
    if (emoji === false) {
      const span = document.createElement("span");
      span.textContent = text || "";
      return span.innerHTML;
    }
    return window.slackToHtml.escapeForSlack(text || "", Object.assign(options(names), { markdown: false }));
  }

  /* A text object as HTML: plain_text is escaped, mrkdwn formatted (verbatim, in
   * Slack, only stops bare URLs and names from becoming links: formatting stays). */
  function textHtml(obj, names) {
    if (!obj) return "";
    if (obj.type === "mrkdwn") return mrkdwn(obj.text, names);
    return plain(obj.text, obj.emoji, names);
  }

  function textNode(obj, names, className) {
    return el("span", { className: "bk-text " + (className || ""), html: textHtml(obj, names) });
  }

  function plainText(obj) {
    return (obj && obj.text) || "";
  }

  let generated = 0;
  function blockIdOf(block, index) {
    return block.block_id || (block._generatedId = block._generatedId || "pg-" + index + "-" + ++generated);
  }

  function render(blocks, ctx) {
    const root = el("div", { className: "bk" });
    (blocks || []).forEach((block, index) => {
      const node = renderBlock(block, blockIdOf(block, index), ctx);
      if (node) root.appendChild(node);
    });
    return root;
  }

  function renderBlock(block, blockId, ctx) {
    const wrap = (className, children) =>
      el("div", { className: "bk-block " + className, "data-block-id": blockId, "data-block-type": block.type }, children);
    switch (block.type) {
      case "header":
        return wrap("bk-header", [textNode(block.text, ctx.names)]);
      case "divider":
        return el("hr", { className: "bk-divider", "data-block-type": "divider" });
      case "section": {
        const main = el("div", { className: "bk-main" });
        if (block.text) main.appendChild(textNode(block.text, ctx.names));
        if (block.fields && block.fields.length) {
          main.appendChild(el("div", { className: "bk-fields" }, block.fields.map((f) => textNode(f, ctx.names))));
        }
        const children = [main];
        if (block.accessory) children.push(renderElement(block.accessory, blockId, ctx, false));
        return wrap("bk-section", children);
      }
      case "context":
        return wrap(
          "bk-context",
          (block.elements || []).map((e) =>
            e.type === "image" ? el("img", { src: e.image_url, alt: e.alt_text, title: e.alt_text }) : textNode(e, ctx.names)
          )
        );
      case "actions":
        return wrap("bk-actions", (block.elements || []).map((e) => renderElement(e, blockId, ctx, false)));
      case "input": {
        const error = ctx.errors && ctx.errors[blockId];
        const label = el("label", { className: "bk-label" }, [
          textNode(block.label, ctx.names),
          block.optional ? el("span", { className: "bk-optional", text: " (optional)" }) : null,
        ]);
        const children = [label, renderElement(block.element || {}, blockId, ctx, !block.dispatch_action)];
        if (error) children.push(el("div", { className: "bk-error", role: "alert", "data-testid": "input-error", text: error }));
        if (block.hint) children.push(el("div", { className: "bk-hint" }, [textNode(block.hint, ctx.names)]));
        return wrap("bk-input-block" + (error ? " has-error" : ""), children);
      }
      case "image":
        return wrap("bk-image", [
          block.title ? el("div", {}, [textNode(block.title, ctx.names)]) : null,
          el("img", { src: block.image_url, alt: block.alt_text }),
          el("div", { className: "alt", text: block.alt_text }),
        ]);
      case "rich_text":
        return wrap("bk-rich", [el("span", { className: "bk-text", text: richText(block) })]);
      default:
        return wrap("bk-unsupported", [el("span", { className: "bk-unsupported", text: "[a " + block.type + " block: the playground does not draw it]" })]);
    }
  }

  function richText(block) {
    const out = [];
    const walk = (node) => {
      if (!node) return;
      if (node.type === "text") out.push(node.text);
      else if (node.type === "user") out.push("@" + node.user_id);
      else if (node.type === "channel") out.push("#" + node.channel_id);
      else if (node.type === "link") out.push(node.text || node.url);
      (node.elements || []).forEach(walk);
    };
    walk(block);
    return out.join("");
  }

  function optionNode(option, selectedValues) {
    const node = el("option", { value: option.value, text: plainText(option.text) });
    if (selectedValues.includes(option.value)) node.selected = true;
    return node;
  }

  function fillOptions(select, element, selectedValues) {
    for (const option of element.options || []) select.appendChild(optionNode(option, selectedValues));
    for (const group of element.option_groups || []) {
      const node = el("optgroup", { label: plainText(group.label) });
      for (const option of group.options || []) node.appendChild(optionNode(option, selectedValues));
      select.appendChild(node);
    }
  }

  function findOption(element, value) {
    const all = (element.options || []).concat(...(element.option_groups || []).map((g) => g.options || []));
    return all.find((o) => o.value === value) || null;
  }

  function strip(option) {
    if (!option) return option;
    const out = { text: option.text, value: option.value };
    if (option.description) out.description = option.description;
    return out;
  }

  /* Draw one element; `inInput`: it sits in an input block without dispatch_action
   * (Slack then sends nothing until the view is submitted). */
  function renderElement(element, blockId, ctx, inInput) {
    const actionId = element.action_id || "";
    const base = { "data-block-id": blockId, "data-action-id": actionId, "data-type": element.type };
    const dispatch = (action) => {
      const send = () => ctx.onAction(Object.assign({ action_id: actionId, block_id: blockId, type: element.type }, action));
      if (element.confirm) {
        ctx.confirm(element.confirm).then((ok) => ok && send());
      } else {
        send();
      }
    };
    const select = (multiple) => {
      const node = el("select", Object.assign({ className: "bk-select", multiple: multiple || undefined, "aria-label": plainText(element.placeholder) || actionId }, base));
      return node;
    };
    switch (element.type) {
      case "button": {
        const node = el("button", Object.assign({ type: "button", className: "bk-button " + (element.style || "") }, base), [
          el("span", { html: textHtml(element.text, ctx.names) }),
        ]);
        node.addEventListener("click", () => {
          if (element.url) window.open(element.url, "_blank", "noopener");
          const action = { text: element.text };
          if (element.value !== undefined) action.value = element.value;
          if (element.style) action.style = element.style;
          dispatch(action);
        });
        return node;
      }
      case "static_select":
      case "multi_static_select": {
        const multiple = element.type === "multi_static_select";
        const node = select(multiple);
        const initial = multiple ? (element.initial_options || []).map((o) => o.value) : element.initial_option ? [element.initial_option.value] : [];
        if (!multiple) node.appendChild(el("option", { value: "", text: plainText(element.placeholder) || "Select an item", disabled: true, selected: initial.length === 0 }));
        fillOptions(node, element, initial);
        node._bkState = () => {
          if (multiple) {
            return { type: element.type, selected_options: [...node.selectedOptions].map((o) => strip(findOption(element, o.value))) };
          }
          return { type: element.type, selected_option: node.value ? strip(findOption(element, node.value)) : null };
        };
        node.addEventListener("change", () => {
          if (inInput) return;
          const state = node._bkState();
          dispatch(multiple ? { selected_options: state.selected_options } : { selected_option: state.selected_option });
        });
        return node;
      }
      case "external_select":
      case "multi_external_select": {
        const box = el("span", { className: "bk-external" });
        const query = el("input", { className: "bk-input", placeholder: plainText(element.placeholder) || "Type to search", "aria-label": plainText(element.placeholder) || actionId, "data-testid": "external-query" });
        const node = select(false);
        node.appendChild(el("option", { value: "", text: "…", disabled: true, selected: true }));
        let loaded = {};
        if (element.initial_option) {
          loaded[element.initial_option.value] = element.initial_option;
          node.appendChild(optionNode(element.initial_option, [element.initial_option.value]));
        }
        let timer = null;
        const load = () =>
          ctx.onOptions(element, blockId, query.value).then((answer) => {
            const current = node.value;
            node.textContent = "";
            node.appendChild(el("option", { value: "", text: "…", disabled: true, selected: !current }));
            loaded = {};
            const all = (answer.options || []).concat(...(answer.option_groups || []).map((g) => g.options || []));
            all.forEach((o) => (loaded[o.value] = o));
            fillOptions(node, answer, current ? [current] : []);
          });
        query.addEventListener("input", () => {
          clearTimeout(timer);
          if (query.value.length >= (element.min_query_length === undefined ? 3 : element.min_query_length)) timer = setTimeout(load, 250);
        });
        node._bkState = () => ({ type: element.type, selected_option: node.value ? strip(loaded[node.value]) : null });
        node.addEventListener("change", () => {
          if (!inInput) dispatch({ selected_option: node._bkState().selected_option });
        });
        box.appendChild(query);
        box.appendChild(node);
        return box;
      }
      case "users_select":
      case "conversations_select":
      case "channels_select": {
        const node = select(false);
        const source = element.type === "users_select" ? ctx.names.users : ctx.names.channels;
        const key = { users_select: "selected_user", conversations_select: "selected_conversation", channels_select: "selected_channel" }[element.type];
        const initial = element.initial_user || element.initial_conversation || element.initial_channel || "";
        node.appendChild(el("option", { value: "", text: plainText(element.placeholder) || "Select", disabled: true, selected: !initial }));
        for (const [id, name] of Object.entries(source || {})) node.appendChild(optionNode({ value: id, text: { text: name } }, [initial]));
        node._bkState = () => ({ type: element.type, [key]: node.value || null });
        node.addEventListener("change", () => {
          if (!inInput) dispatch({ [key]: node.value });
        });
        return node;
      }
      case "overflow": {
        const box = el("span", { className: "bk-overflow" });
        const button = el("button", Object.assign({ type: "button", className: "bk-button", "aria-label": "More actions", text: "⋮" }, base));
        const menu = el("div", { className: "bk-overflow-menu", hidden: true });
        for (const option of element.options || []) {
          const item = el("button", { type: "button", role: "menuitem", text: plainText(option.text) });
          item.addEventListener("click", () => {
            menu.hidden = true;
            if (option.url) window.open(option.url, "_blank", "noopener");
            dispatch({ selected_option: strip(option) });
          });
          menu.appendChild(item);
        }
        button.addEventListener("click", () => (menu.hidden = !menu.hidden));
        box.appendChild(button);
        box.appendChild(menu);
        return box;
      }
      case "datepicker": {
        const node = el("input", Object.assign({ type: "date", className: "bk-date", value: element.initial_date || "", "aria-label": plainText(element.placeholder) || actionId }, base));
        node._bkState = () => ({ type: "datepicker", selected_date: node.value || null });
        node.addEventListener("change", () => {
          if (!inInput) dispatch({ selected_date: node.value || null, initial_date: element.initial_date });
        });
        return node;
      }
      case "timepicker": {
        const node = el("input", Object.assign({ type: "time", className: "bk-date", value: element.initial_time || "" }, base));
        node._bkState = () => ({ type: "timepicker", selected_time: node.value || null });
        node.addEventListener("change", () => {
          if (!inInput) dispatch({ selected_time: node.value || null });
        });
        return node;
      }
      case "plain_text_input":
      case "email_text_input":
      case "url_text_input":
      case "number_input": {
        const kind = { email_text_input: "email", url_text_input: "url", number_input: "text" }[element.type] || "text";
        const attrs = Object.assign(
          {
            className: "bk-input",
            placeholder: plainText(element.placeholder),
            maxlength: element.max_length,
            "aria-label": plainText(element.placeholder) || actionId,
          },
          base
        );
        const node = element.multiline ? el("textarea", attrs) : el("input", Object.assign({ type: kind }, attrs));
        node.value = element.initial_value || "";
        node._bkState = () => ({ type: element.type, value: node.value === "" ? null : node.value });
        node.addEventListener("keydown", (event) => {
          if (event.key === "Enter" && !element.multiline && !inInput) dispatch({ value: node.value });
        });
        return node;
      }
      case "radio_buttons":
      case "checkboxes": {
        const multiple = element.type === "checkboxes";
        const box = el("div", Object.assign({ className: "bk-choices", role: multiple ? "group" : "radiogroup" }, base));
        const initial = multiple ? (element.initial_options || []).map((o) => o.value) : element.initial_option ? [element.initial_option.value] : [];
        const name = blockId + "/" + actionId;
        for (const option of element.options || []) {
          const input = el("input", { type: multiple ? "checkbox" : "radio", name, value: option.value });
          input.checked = initial.includes(option.value);
          input.addEventListener("change", () => {
            if (inInput) return;
            const state = box._bkState();
            dispatch(multiple ? { selected_options: state.selected_options } : { selected_option: state.selected_option });
          });
          box.appendChild(el("label", { className: "bk-choice" }, [input, " ", el("span", { html: textHtml(option.text, ctx.names) })]));
        }
        box._bkState = () => {
          const chosen = [...box.querySelectorAll("input:checked")].map((i) => strip(findOption(element, i.value)));
          return multiple ? { type: element.type, selected_options: chosen } : { type: element.type, selected_option: chosen[0] || null };
        };
        return box;
      }
      case "image":
        return el("img", { src: element.image_url, alt: element.alt_text, title: element.alt_text, width: 64, height: 64 });
      default:
        return el("span", { className: "bk-unsupported", text: "[a " + element.type + " element: the playground does not draw it]" });
    }
  }

  /* view.state.values of the inputs under root, as Slack sends them. */
  function state(root) {
    const values = {};
    root.querySelectorAll("[data-block-id][data-action-id]").forEach((node) => {
      if (!node._bkState) return;
      const block = node.getAttribute("data-block-id");
      values[block] = values[block] || {};
      values[block][node.getAttribute("data-action-id")] = node._bkState();
    });
    return values;
  }

  /* Put back what was typed or chosen in `before` into the same inputs of `after`. */
  function carryOver(before, after) {
    const typed = {};
    before.querySelectorAll("[data-block-id][data-action-id]").forEach((node) => {
      if ("value" in node && node.tagName !== "BUTTON") typed[node.getAttribute("data-block-id") + "/" + node.getAttribute("data-action-id")] = node.value;
    });
    after.querySelectorAll("[data-block-id][data-action-id]").forEach((node) => {
      const key = node.getAttribute("data-block-id") + "/" + node.getAttribute("data-action-id");
      if (key in typed && "value" in node && node.tagName !== "BUTTON" && typed[key] !== "") node.value = typed[key];
    });
  }

  window.BlockKit = { render, state, carryOver, mrkdwn, textHtml, plainText, el };
})();
