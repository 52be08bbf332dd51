// The context menu of a grid: its toolbar's actions at the mouse, each with its shortcut, and a
// divider before the one that starts the second group.
import { Divider, ListItemText, Menu, MenuItem, Typography } from '@mui/material';

/** One entry of a toolbar and of the matching context menu. */
export interface MenuAction {
  readonly label: string;
  readonly disabled: boolean;
  readonly run: () => void;
  readonly shortcut?: string;
}

/** Where a context menu opened (page coordinates); null while it is closed. */
export type MenuAnchor = { readonly x: number; readonly y: number } | null;

export function ActionsMenu(props: { at: MenuAnchor; actions: readonly MenuAction[]; dividerBefore: number; onClose: () => void }) {
  const { at, onClose } = props;
  return (
    <Menu open={at !== null} onClose={onClose} anchorReference="anchorPosition" anchorPosition={at ? { top: at.y, left: at.x } : undefined}>
      {props.actions.map((a, i) => [
        i === props.dividerBefore ? <Divider key={`d${i}`} /> : null,
        <MenuItem key={a.label} disabled={a.disabled} onClick={() => { onClose(); a.run(); }}>
          <ListItemText>{a.label}</ListItemText>
          {a.shortcut && <Typography variant="caption" color="text.secondary" sx={{ ml: 3 }}>{a.shortcut}</Typography>}
        </MenuItem>,
      ])}
    </Menu>
  );
}
