import { useEffect, useState } from 'react';

/** Whether a key event came from a text field (where j and k are letters, not moves). */
export function typingIn(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT');
}

/** j/k (and the arrows) move a selection over `count` rows; enter opens the selected one. */
export function useListKeys(
  count: number,
  onEnter: (index: number) => void,
): [number, (i: number) => void] {
  const [selected, setSelected] = useState(-1);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (typingIn(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'j' || e.key === 'ArrowDown') {
        setSelected((s) => Math.min(count - 1, s + 1));
        e.preventDefault();
      } else if (e.key === 'k' || e.key === 'ArrowUp') {
        setSelected((s) => Math.max(0, s - 1));
        e.preventDefault();
      } else if (e.key === 'Enter' && selected >= 0) {
        onEnter(selected);
        e.preventDefault();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [count, selected, onEnter]);
  return [selected, setSelected];
}
