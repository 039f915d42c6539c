import { Link } from '../components/Link.js';

export function NotFound({ path }: { path: string }) {
  return (
    <>
      <h1>Not found</h1>
      <p>
        Nothing at <code>{path}</code>. <Link href="/">Back to the overview</Link>.
      </p>
    </>
  );
}
