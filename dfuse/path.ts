/** Paths inside a mount ('/' is its root, no trailing slash): a path's parent directory and last name. */
export function parentOf(path: string): { parent: string; name: string } {
  const slash = path.lastIndexOf('/');
  return { parent: slash <= 0 ? '/' : path.slice(0, slash), name: path.slice(slash + 1) };
}
