// `pounce ui`: a one-time link that signs a browser in to the web UI, printed and (on a
// terminal, unless --no-browser or POUNCE_NO_BROWSER) opened in the default browser.
import { parse } from "../args.ts";
import { openBrowser } from "../browser.ts";
import { Client } from "../client.ts";
import { print } from "../output.ts";

export async function uiCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, { "no-browser": { type: "boolean" } });
  const client = new Client(values);
  const { code, expires_at } = await client.call<{ code: string; expires_at: string }>(
    "POST",
    "/api/ui/sign-in-code",
  );
  const link = `${client.url}/#/sign-in/${code}`;
  print(values, { url: `${client.url}/`, sign_in: link, expires_at }, () =>
    [
      `web UI:  ${client.url}/`,
      `sign in: ${link}`,
      `(works once, until ${expires_at})`,
    ].join("\n"));
  const browse = !values["no-browser"] && !process.env.POUNCE_NO_BROWSER && !values.json &&
    process.stdout.isTTY;
  if (browse) openBrowser(link);
}
