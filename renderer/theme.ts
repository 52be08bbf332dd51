// A dense, desktop-like theme: admins look at grids of hundreds of rows.
import { createTheme } from '@mui/material/styles';

export const theme = createTheme({
  palette: {
    mode: 'light',
    primary: { main: '#0b5cad' },
    secondary: { main: '#2e7d32' },
    background: { default: '#f3f5f8', paper: '#ffffff' },
  },
  typography: { fontSize: 13, fontFamily: '"Segoe UI", "Noto Sans", "DejaVu Sans", Roboto, Arial, sans-serif' },
  shape: { borderRadius: 4 },
  components: {
    MuiButton: { defaultProps: { size: 'small', disableElevation: true }, styleOverrides: { root: { textTransform: 'none' } } },
    MuiTab: { styleOverrides: { root: { textTransform: 'none', minHeight: 40 } } },
    MuiTabs: { styleOverrides: { root: { minHeight: 40 } } },
    MuiTable: { defaultProps: { size: 'small' } },
    MuiTableCell: { styleOverrides: { head: { fontWeight: 600, backgroundColor: '#eef1f5' } } },
    MuiTextField: { defaultProps: { size: 'small' } },
  },
});
