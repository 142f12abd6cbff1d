import type { ReactNode } from 'react';

/**
 * Inline Markdown as the teaching reference and the lints write it: `code`, **bold**, *emphasis*
 * and [links](https://…). Nothing else (no blocks, no HTML): the text is ours, but rendering it
 * as React nodes rather than HTML keeps a stray `<` in a server's quoted text harmless.
 * Unclosed markers are left as they are; links are kept only for http(s) URLs.
 */
const INLINE =
  /`([^`]+)`|\*\*(.+?)\*\*|(?<![\w*])\*(?!\s)([^*]+?)\*(?![\w*])|\[([^\]]+)\]\(([^)\s]+)\)/g;

export function Markdown({ text }: { text: string }) {
  return <>{inline(text)}</>;
}

function inline(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const [whole, code, bold, em, label, href] = m;
    if (m.index > last) out.push(text.slice(last, m.index));
    const key = m.index;
    if (code !== undefined) out.push(<code key={key}>{code}</code>);
    else if (bold !== undefined) out.push(<b key={key}>{inline(bold)}</b>);
    else if (em !== undefined) out.push(<i key={key}>{inline(em)}</i>);
    else if (label !== undefined && href !== undefined && /^https?:\/\//.test(href))
      out.push(
        <a key={key} href={href} target="_blank" rel="noreferrer">
          {inline(label)}
        </a>,
      );
    else out.push(whole);
    last = m.index + whole.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
