// Client routes on the History API: `navigate` pushes a path, `usePath` re-renders on it.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

/** Goes to `path` without a page load. */
export function navigate(path: string): void {
  if (path !== location.pathname) history.pushState(null, '', path);
  listeners.forEach((l) => l());
}

/** The current path; the component re-renders when it changes. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const l = () => setPath(location.pathname);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return path;
}
