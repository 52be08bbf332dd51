// The application menu as data: shortcuts and the menu.command each item sends.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applicationMenu, type MenuItemSpec } from '../../main/app/menuTemplate.js';
import { MenuCommandSchema, events } from '../../main/ipc/contract.js';

const items: readonly MenuItemSpec[] = applicationMenu.flatMap((menu) => menu.items);

describe('applicationMenu', () => {
  test('F4 sends the properties command', () => {
    const f4 = items.filter((item) => item.accelerator === 'F4');
    assert.equal(f4.length, 1, 'exactly one item owns F4');
    assert.equal(f4[0]!.command, 'properties');
    assert.match(f4[0]!.label, /Properties/);
  });

  test('Leftovers… has the shortcut the windows advertise (Ctrl+Shift+L) and sends the leftovers command', () => {
    const item = items.find((i) => i.command === 'leftovers');
    assert.equal(item?.accelerator, 'CmdOrCtrl+Shift+L');
    assert.match(item!.label, /Leftovers…/);
  });

  test('each of the four tabs has a menu item with an accelerator and its tab command', () => {
    const tabs = ['tab.computers', 'tab.history', 'tab.packages', 'tab.configuration'] as const;
    for (const tab of tabs) {
      const item = items.find((i) => i.command === tab);
      assert.ok(item, `${tab} has a menu item`);
      assert.ok(item.accelerator && item.accelerator.length > 0, `${tab} has an accelerator`);
    }
    assert.deepEqual(
      tabs.map((tab) => items.find((i) => i.command === tab)?.accelerator),
      ['CmdOrCtrl+1', 'CmdOrCtrl+2', 'CmdOrCtrl+3', 'CmdOrCtrl+4'],
    );
  });

  test('every MenuCommand in MenuCommandSchema is reachable from the menu, and every command item sends a valid menu.command event', () => {
    const reachable = new Set(items.map((i) => i.command).filter((c) => c !== undefined));
    for (const command of MenuCommandSchema.options) {
      assert.ok(reachable.has(command), `${command} is reachable`);
    }
    for (const item of items) {
      if (item.command === undefined) continue;
      assert.ok(MenuCommandSchema.safeParse(item.command).success, item.command);
      assert.ok(events['menu.command'].safeParse({ command: item.command }).success, item.command);
    }
  });

  test('no accelerator is bound twice', () => {
    const accelerators = items.map((i) => i.accelerator).filter((a): a is string => a !== undefined);
    assert.ok(accelerators.length >= 6);
    assert.equal(new Set(accelerators.map((a) => a.toLowerCase())).size, accelerators.length, accelerators.join(', '));
  });

  test('separators carry nothing to click and other items have a label and either a role or a command', () => {
    for (const item of items) {
      if (item.separator) {
        assert.equal(item.command, undefined);
        assert.equal(item.accelerator, undefined);
        continue;
      }
      assert.ok(item.label.length > 0);
      assert.ok((item.role !== undefined) !== (item.command !== undefined), `${item.label}: exactly one of role/command`);
    }
  });
});
