// Condition and action builder of the automation setup pages.
// The JSON textareas stay the form's real fields: the builder only writes into them,
// so the server checks exactly what a JSON edit would send, and pages work without JS.
// Everything the builder offers (fields, operators, each desk's choices, translated
// labels) comes from the page's json_script, built by automation/builder.py.
(function () {
  "use strict";

  var PRESENCE = ["is_set", "is_not_set", "changed"];
  var LISTS = ["in", "not_in"];
  var TEXT_OPS = ["contains", "not_contains"];
  var CUSTOM = "custom_fields.";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function has(list, item) { return list.indexOf(item) !== -1; }
  function isObject(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }

  function start() {
    var dataNode = document.getElementById("automation-builder-data");
    if (!dataNode) return;
    var meta = JSON.parse(dataNode.textContent);
    var L = meta.labels;
    var wrappers = document.querySelectorAll(".builder-field[data-builder]");
    if (!wrappers.length) return;
    var form = wrappers[0].closest("form");
    var deskSelect = form.elements.desk;
    var fieldsByName = {};
    meta.fields.forEach(function (f) { fieldsByName[f.name] = f; });
    var actionTypes = meta.actions.map(function (a) { return a[0]; });
    var builders = [];

    // --- what the current desk offers ---------------------------------------------
    function desk() {
      return meta.desks[deskSelect ? deskSelect.value : ""] || { choices: {}, custom_fields: [] };
    }
    function choicesFor(name) {
      var own = desk().choices[name];
      return own || meta.choices[name] || null;
    }
    function customField(name) {
      var key = name.slice(CUSTOM.length);
      return desk().custom_fields.filter(function (f) { return f.key === key; })[0] || null;
    }
    function labelOf(list, value) {
      for (var i = 0; i < list.length; i++) if (list[i][0] === value) return list[i][1];
      return value;
    }

    // A value control: {kind, choices, nullable}; kind is none, select, multi, bool,
    // text, number, decimal, date or list (comma-separated).
    function customSpec(definition, op) {
      if (!definition) return { kind: has(LISTS, op) ? "list" : "text" };
      var type = definition.type;
      if (has(TEXT_OPS, op)) return { kind: "text" };
      if (type === "choice" || type === "multichoice") {
        return { kind: has(LISTS, op) || type === "multichoice" ? "multi" : "select", choices: definition.choices };
      }
      if (type === "checkbox") return { kind: "bool" };
      if (has(LISTS, op)) return { kind: "list", number: type === "integer" };
      if (type === "integer") return { kind: "number" };
      if (type === "decimal") return { kind: "decimal" };
      if (type === "date") return { kind: "date" };
      return { kind: "text" };
    }
    function conditionSpec(name, op) {
      if (has(PRESENCE, op)) return { kind: "none" };
      if (name.indexOf(CUSTOM) === 0) return customSpec(customField(name), op);
      var field = fieldsByName[name];
      if (!field) return { kind: "text" };
      if (field.kind === "bool") return { kind: "bool" };
      if (field.kind === "choice" || field.kind === "ref") {
        var choices = choicesFor(name);
        if (!choices) return { kind: has(LISTS, op) ? "list" : "text" };
        return { kind: has(LISTS, op) ? "multi" : "select", choices: choices };
      }
      return { kind: "text" };
    }
    function setSpec(name) {
      if (name.indexOf(CUSTOM) === 0) return customSpec(customField(name), "is");
      if (name === "subject") return { kind: "text" };
      var nullable = has(["category", "team", "assignee"], name);
      return { kind: "select", choices: choicesFor(name) || [], nullable: nullable };
    }
    function defaultValue(spec) {
      if (spec.kind === "none") return null;
      if (spec.kind === "bool") return true;
      if (spec.kind === "multi" || spec.kind === "list") return [];
      if (spec.kind === "select") return spec.nullable || !spec.choices.length ? null : spec.choices[0][0];
      return "";
    }

    // --- controls ---------------------------------------------------------------
    var controls = 0;
    function labelled(caption, control, part) {
      controls += 1;
      control.id = "builder-control-" + controls;
      control.setAttribute("data-part", part);
      return el("span", { className: "builder-control" }, [el("label", { "for": control.id, text: caption }), control]);
    }
    function options(select, list, current, extra) {
      (extra || []).concat(list).forEach(function (pair) {
        var option = el("option", { value: JSON.stringify(pair[0]), text: pair[1] });
        if (Array.isArray(current) ? current.some(function (c) { return c === pair[0]; }) : current === pair[0]) {
          option.selected = true;
        }
        select.appendChild(option);
      });
      // A saved value the desk no longer offers stays, marked, instead of silently changing.
      var missing = (Array.isArray(current) ? current : [current]).filter(function (c) {
        return c !== null && c !== undefined && !(extra || []).concat(list).some(function (p) { return p[0] === c; });
      });
      missing.forEach(function (value) {
        select.appendChild(el("option", { value: JSON.stringify(value), text: value + " " + L.unknown, selected: "" }));
      });
    }
    function valueControl(spec, value, onChange) {
      var control;
      if (spec.kind === "none") return null;
      if (spec.kind === "select" || spec.kind === "multi" || spec.kind === "bool") {
        control = el("select", spec.kind === "multi" ? { multiple: "", size: "4" } : {});
        if (spec.kind === "bool") options(control, [[true, L.yes], [false, L.no]], value);
        else options(control, spec.choices, value, spec.nullable ? [[null, L.none]] : []);
        control.addEventListener("change", function () {
          var picked = Array.prototype.filter.call(control.options, function (o) { return o.selected; })
            .map(function (o) { return JSON.parse(o.value); });
          onChange(spec.kind === "multi" ? picked : picked[0]);
        });
        return control;
      }
      var type = { number: "number", decimal: "text", date: "date" }[spec.kind] || "text";
      var shown = Array.isArray(value) ? value.join(", ") : value === null || value === undefined ? "" : String(value);
      control = el("input", { type: type, value: shown, dir: "auto" });
      if (spec.kind === "decimal") control.setAttribute("inputmode", "decimal");
      control.addEventListener("input", function () {
        var text = control.value;
        if (spec.kind === "list") {
          onChange(text.split(",").map(function (s) { return s.trim(); }).filter(Boolean).map(function (s) {
            return spec.number && /^-?\d+$/.test(s) ? parseInt(s, 10) : s;
          }));
        } else if (spec.kind === "number" && /^-?\d+$/.test(text.trim())) {
          onChange(parseInt(text, 10));
        } else {
          onChange(text);
        }
      });
      return control;
    }
    function plainSelect(list, current, onChange) {
      var select = el("select");
      options(select, list, current);
      select.addEventListener("change", function () { onChange(JSON.parse(select.value)); });
      return select;
    }
    function textArea(value, onChange) {
      var area = el("textarea", { rows: "3", dir: "auto" });
      area.value = value || "";
      area.addEventListener("input", function () { onChange(area.value); });
      return area;
    }
    function textInput(value, onChange, type) {
      var input = el("input", { type: type || "text", value: value || "", dir: "auto" });
      input.addEventListener("input", function () { onChange(input.value); });
      return input;
    }

    // --- one builder per JSON field -----------------------------------------------
    function Builder(wrapper) {
      var self = this;
      var name = wrapper.getAttribute("data-builder");
      var source = wrapper.querySelector(".json-source");
      var textarea = source.querySelector("textarea");
      var id = "builder-" + name;
      var panel = el("div", { className: "builder", id: id });
      var notice = el("p", { className: "error", role: "alert", hidden: "" });
      var toggle = el("button", { type: "button", className: "secondary builder-toggle", "aria-controls": id, "aria-pressed": "false" });
      var heading = el("h3", { text: name === "conditions" ? L.conditions : L.actions });
      wrapper.insertBefore(el("div", { className: "builder-head" }, [heading, toggle]), source);
      wrapper.insertBefore(notice, source);
      wrapper.insertBefore(panel, source);
      self.state = null;
      self.jsonMode = false;

      function readable(text) {
        var value;
        try { value = text.trim() ? JSON.parse(text) : (name === "conditions" ? {} : []); } catch (e) { return null; }
        if (name === "conditions") {
          if (value === null) value = {};
          if (!isObject(value) || Object.keys(value).some(function (k) { return !has(["all", "any"], k); })) return null;
          var groups = { all: value.all || [], any: value.any || [] };
          var ok = ["all", "any"].every(function (g) {
            return Array.isArray(groups[g]) && groups[g].every(function (c) {
              return isObject(c) && typeof c.op === "string" && typeof c.field === "string" &&
                (fieldsByName[c.field] || c.field.indexOf(CUSTOM) === 0);
            });
          });
          return ok ? groups : null;
        }
        if (value === null) value = [];
        if (!Array.isArray(value)) return null;
        return value.every(function (a) { return isObject(a) && has(actionTypes, a.type); }) ? value : null;
      }

      self.write = function () {
        if (self.jsonMode) return;
        var out = self.state;
        if (name === "conditions") {
          out = {};
          ["all", "any"].forEach(function (g) {
            out[g] = self.state[g].map(function (c) {
              var copy = {};
              Object.keys(c).forEach(function (k) { copy[k] = c[k]; });
              if (has(PRESENCE, c.op)) delete copy.value;
              return copy;
            });
          });
        }
        textarea.value = JSON.stringify(out, null, 2);
      };

      function setMode(json) {
        self.jsonMode = json;
        source.hidden = !json;
        panel.hidden = json;
        toggle.textContent = json ? L.edit_builder : L.edit_json;
        toggle.setAttribute("aria-pressed", json ? "true" : "false");
      }

      toggle.addEventListener("click", function () {
        if (self.jsonMode) {
          var parsed = readable(textarea.value);
          if (parsed === null) { notice.textContent = L.bad_json; notice.hidden = false; return; }
          notice.hidden = true;
          self.state = parsed;
          setMode(false);
          self.render();
          self.write();
        } else {
          self.write();
          setMode(true);
          textarea.focus();
        }
      });

      // --- conditions -------------------------------------------------------------
      function fieldSelect(current) {
        var select = el("select");
        meta.fields.forEach(function (f) {
          select.appendChild(el("option", { value: f.name, text: f.label }));
        });
        var custom = desk().custom_fields;
        var known = custom.some(function (f) { return CUSTOM + f.key === current; });
        if (custom.length || (current.indexOf(CUSTOM) === 0 && !known)) {
          var group = el("optgroup", { label: L.custom });
          custom.forEach(function (f) { group.appendChild(el("option", { value: CUSTOM + f.key, text: f.label })); });
          if (current.indexOf(CUSTOM) === 0 && !known) {
            group.appendChild(el("option", { value: current, text: current + " " + L.unknown }));
          }
          select.appendChild(group);
        }
        select.value = current;
        return select;
      }
      function opsOf(fieldName) {
        return fieldName.indexOf(CUSTOM) === 0 ? meta.custom_ops : fieldsByName[fieldName].ops;
      }

      function conditionRow(group, index) {
        var condition = self.state[group][index];
        var number = index + 1;
        var row = el("li", { className: "builder-row", role: "group", "aria-label": L.condition + " " + number });
        var field = fieldSelect(condition.field);
        field.addEventListener("change", function () {
          var ops = opsOf(field.value);
          var op = has(ops, condition.op) ? condition.op : ops[0];
          self.state[group][index] = { field: field.value, op: op, value: defaultValue(conditionSpec(field.value, op)) };
          self.redrawRow(group, index, "field");
        });
        var op = el("select");
        opsOf(condition.field).forEach(function (o) { op.appendChild(el("option", { value: o, text: meta.ops[o] || o })); });
        op.value = condition.op;
        op.addEventListener("change", function () {
          var before = conditionSpec(condition.field, condition.op).kind;
          var spec = conditionSpec(condition.field, op.value);
          condition.op = op.value;
          if (spec.kind !== before) {
            var value = condition.value;
            if ((spec.kind === "multi" || spec.kind === "list") && value !== null && value !== undefined && !Array.isArray(value)) condition.value = [value];
            else if (Array.isArray(value) && spec.kind !== "multi" && spec.kind !== "list") condition.value = value.length ? value[0] : defaultValue(spec);
            else if (spec.kind === "none") condition.value = null;
            else if (value === null || value === undefined) condition.value = defaultValue(spec);
          }
          self.redrawRow(group, index, "op");
        });
        row.appendChild(labelled(L.field, field, "field"));
        row.appendChild(labelled(L.operator, op, "op"));
        var value = valueControl(conditionSpec(condition.field, condition.op), condition.value, function (v) {
          condition.value = v;
          self.write();
        });
        if (value) row.appendChild(labelled(L.value, value, "value"));
        if (condition.field === "business_hours" && meta.choices.calendar.length) {
          var calendar = plainSelect(meta.choices.calendar, condition.calendar === undefined ? null : condition.calendar, function (v) {
            if (v === null) delete condition.calendar;
            else { condition.calendar = v; delete condition.hours; delete condition.time_zone; }
            self.write();
          });
          calendar.insertBefore(el("option", { value: "null", text: L.no_calendar }), calendar.firstChild);
          if (condition.calendar === undefined) calendar.value = "null";
          row.appendChild(labelled(L.calendar, calendar, "calendar"));
        }
        row.appendChild(removeButton(L.condition + " " + number, function () {
          self.state[group].splice(index, 1);
          self.render();
          self.write();
          panel.querySelector("[data-add='" + group + "']").focus();
        }));
        return row;
      }

      // --- actions ----------------------------------------------------------------
      function newAction(type) {
        var teams = choicesFor("team") || [];
        var hooks = choicesFor("webhook") || [];
        return {
          set: function () { return { type: "set", field: "status", value: defaultValue(setSpec("status")) }; },
          assign: function () { return teams.length ? { type: "assign", team: teams[0][0] } : { type: "assign" }; },
          add_tags: function () { return { type: "add_tags", tags: [] }; },
          remove_tags: function () { return { type: "remove_tags", tags: [] }; },
          add_note: function () { return { type: "add_note", body: "" }; },
          send_mail: function () { return { type: "send_mail", to: "requester", subject: "", body: "" }; },
          notify: function () { return { type: "notify", to: "assignee", text: "" }; },
          webhook: function () { return { type: "webhook", webhook: hooks.length ? hooks[0][0] : null }; },
          escalate: function () { return { type: "escalate" }; }
        }[type]();
      }
      function hint() {
        return el("small", { className: "builder-hint" }, [
          document.createTextNode(L.placeholders + " "),
          el("bdi", { dir: "ltr", text: meta.placeholders.join(" ") })
        ]);
      }
      function optionalRef(action, key, caption, list) {
        var current = action[key] === undefined ? "__keep" : action[key];
        var select = el("select");
        options(select, list, current, [["__keep", L.unchanged], [null, L.none]]);
        select.addEventListener("change", function () {
          var v = JSON.parse(select.value);
          if (v === "__keep") delete action[key]; else action[key] = v;
          self.write();
        });
        return labelled(caption, select, key);
      }
      function actionParams(action, index, row) {
        function change(key) { return function (v) { action[key] = v; self.write(); }; }
        var type = action.type;
        if (type === "set") {
          var fields = meta.settable.concat(desk().custom_fields.map(function (f) { return [CUSTOM + f.key, f.label]; }));
          var field = plainSelect(fields, action.field, function (v) {
            action.field = v;
            action.value = defaultValue(setSpec(v));
            self.redrawRow("actions", index, "field");
          });
          row.appendChild(labelled(L.field, field, "field"));
          var value = valueControl(setSpec(action.field || "status"), action.value, change("value"));
          if (value) row.appendChild(labelled(L.value, value, "value"));
        } else if (type === "assign") {
          row.appendChild(optionalRef(action, "team", L.team, choicesFor("team") || []));
          row.appendChild(optionalRef(action, "assignee", L.agent, choicesFor("assignee") || []));
        } else if (type === "add_tags" || type === "remove_tags") {
          row.appendChild(labelled(L.tags, valueControl({ kind: "list" }, action.tags || [], change("tags")), "tags"));
        } else if (type === "add_note") {
          row.appendChild(labelled(L.text, textArea(action.body, change("body")), "body"));
          row.appendChild(hint());
        } else if (type === "send_mail" || type === "notify") {
          var mail = type === "send_mail";
          var to = plainSelect(mail ? meta.mail_to : meta.notify_to, action.to, function (v) {
            action.to = v;
            if (v !== "address") delete action.address;
            if (v !== "user") delete action.user;
            if (v === "user") action.user = defaultValue(setSpec("assignee")) || (choicesFor("assignee") || [[null]])[0][0];
            self.redrawRow("actions", index, "to");
          });
          row.appendChild(labelled(L.to, to, "to"));
          if (action.to === "address") row.appendChild(labelled(L.address, textInput(action.address, change("address"), "email"), "address"));
          if (action.to === "user") row.appendChild(labelled(L.agent, plainSelect(choicesFor("assignee") || [], action.user, change("user")), "user"));
          if (mail) {
            row.appendChild(labelled(L.subject, textInput(action.subject, change("subject")), "subject"));
            row.appendChild(labelled(L.body, textArea(action.body, change("body")), "body"));
          } else {
            row.appendChild(labelled(L.text, textArea(action.text, change("text")), "text"));
          }
          row.appendChild(hint());
        } else if (type === "webhook") {
          row.appendChild(labelled(L.webhook, plainSelect(choicesFor("webhook") || [], action.webhook, change("webhook")), "webhook"));
        } else if (type === "escalate") {
          var tier = plainSelect(meta.choices.tier, action.tier === undefined ? null : action.tier, function (v) {
            if (v === null) delete action.tier; else action.tier = v;
            self.write();
          });
          tier.insertBefore(el("option", { value: "null", text: L.next_tier }), tier.firstChild);
          if (action.tier === undefined) tier.value = "null";
          row.appendChild(labelled(L.tier, tier, "tier"));
        }
      }
      function actionRow(index) {
        var action = self.state[index];
        var number = index + 1;
        var row = el("li", { className: "builder-row", role: "group", "aria-label": L.action + " " + number });
        var type = plainSelect(meta.actions, action.type, function (v) {
          self.state[index] = newAction(v);
          self.redrawRow("actions", index, "type");
        });
        row.appendChild(labelled(L.type, type, "type"));
        actionParams(action, index, row);
        row.appendChild(removeButton(L.action + " " + number, function () {
          self.state.splice(index, 1);
          self.render();
          self.write();
          panel.querySelector("[data-add='actions']").focus();
        }));
        return row;
      }

      function removeButton(what, onClick) {
        var button = el("button", { type: "button", className: "secondary builder-remove", "aria-label": L.remove + ": " + what, text: L.remove });
        button.addEventListener("click", onClick);
        return button;
      }

      function rowFor(group, index) {
        return group === "actions" ? actionRow(index) : conditionRow(group, index);
      }
      self.redrawRow = function (group, index, focusPart) {
        var list = panel.querySelector("ol[data-group='" + group + "']");
        var fresh = rowFor(group, index);
        list.replaceChild(fresh, list.children[index]);
        var again = fresh.querySelector("[data-part='" + focusPart + "']");
        if (again) again.focus();
        self.write();
      };

      function groupBox(group, legend, addLabel) {
        var items = name === "conditions" ? self.state[group] : self.state;
        var list = el("ol", { className: "builder-rows", "data-group": group });
        items.forEach(function (_, i) { list.appendChild(rowFor(group, i)); });
        var add = el("button", { type: "button", className: "secondary", "data-add": group, text: "+ " + addLabel });
        add.addEventListener("click", function () {
          if (group === "actions") self.state.push(newAction(actionTypes[0]));
          else {
            var first = meta.fields[0];
            var op = first.ops[0];
            self.state[group].push({ field: first.name, op: op, value: defaultValue(conditionSpec(first.name, op)) });
          }
          self.render();
          self.write();
          var rows = panel.querySelector("ol[data-group='" + group + "']").children;
          rows[rows.length - 1].querySelector("select").focus();
        });
        var empty = items.length ? null : el("p", { className: "builder-empty", text: L.no_rows });
        // The actions' heading already names their one group: its legend is for screen readers.
        var caption = el("legend", { text: legend, className: group === "actions" ? "visually-hidden" : "" });
        return el("fieldset", { className: "builder-group" }, [caption, list, empty, add]);
      }

      self.render = function () {
        panel.textContent = "";
        if (name === "conditions") {
          panel.appendChild(groupBox("all", L.all, L.add_condition));
          panel.appendChild(groupBox("any", L.any, L.add_condition));
        } else {
          panel.appendChild(groupBox("actions", L.actions, L.add_action));
        }
      };

      var initial = readable(textarea.value);
      if (initial === null) {
        notice.textContent = L.bad_json;
        notice.hidden = false;
        setMode(true);
      } else {
        self.state = initial;
        setMode(false);
        self.render();
      }
    }

    Array.prototype.forEach.call(wrappers, function (wrapper) {
      if (wrapper.getAttribute("data-builder") === "conditions" && !meta.conditions) return;
      builders.push(new Builder(wrapper));
    });
    if (deskSelect) {
      deskSelect.addEventListener("change", function () {
        builders.forEach(function (b) { if (!b.jsonMode) { b.render(); b.write(); } });
      });
    }
    form.addEventListener("submit", function () {
      builders.forEach(function (b) { b.write(); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
