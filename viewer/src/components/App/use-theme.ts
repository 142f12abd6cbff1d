import { useEffect, useState } from 'react';

export type Theme = 'light' | 'dark';
const KEY = 'imapscope.theme';

/** Light or dark: the user's last choice, else the system's preference; `?theme=` overrides. */
export function initialTheme(): Theme {
  const fromUrl = new URL(location.href).searchParams.get('theme');
  if (fromUrl === 'light' || fromUrl === 'dark') return fromUrl;
  const saved = localStorage.getItem(KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const toggle = (): void => {
    const next = theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem(KEY, next);
    setTheme(next);
  };
  return [theme, toggle];
}
