// Turns the menu spec into Electron's menu; a command item sends `menu.command` to the window.
import { Menu, type MenuItemConstructorOptions } from 'electron';
import { applicationMenu } from '../app/menuTemplate.js';
import type { MenuCommand } from '../ipc/contract.js';

export function buildApplicationMenu(onCommand: (command: MenuCommand) => void): Menu {
  const template: MenuItemConstructorOptions[] = applicationMenu.map((menu) => ({
    label: menu.label,
    submenu: menu.items.map((item): MenuItemConstructorOptions => {
      if (item.separator) return { type: 'separator' };
      const command = item.command;
      return {
        label: item.label,
        ...(item.accelerator ? { accelerator: item.accelerator } : {}),
        ...(item.role ? { role: item.role } : {}),
        ...(command ? { click: () => onCommand(command) } : {}),
      };
    }),
  }));
  return Menu.buildFromTemplate(template);
}
