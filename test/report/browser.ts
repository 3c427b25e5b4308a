// A real headless Chromium (Debian's `chromium`, driven by playwright-core: no browser download),
// with a fresh profile and nothing that reaches for the network.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

export interface Opened {
  page: Page
  /** Console errors and uncaught page errors, as text. */
  errors: string[]
  /** Every request the page made (it should make none). */
  requests: string[]
  /** Alerts/confirms/prompts the page opened. */
  dialogs: string[]
}

export async function launch(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`)
  const profile = mkdtempSync(join(tmpdir(), 'okflow-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** Opens an HTML string in a new page, recording errors, requests and dialogs from the start. */
export async function open(context: BrowserContext, html: string): Promise<Opened> {
  const page = await context.newPage()
  const out: Opened = { page, errors: [], requests: [], dialogs: [] }
  page.on('console', (m) => {
    if (m.type() === 'error') out.errors.push(m.text())
  })
  page.on('pageerror', (e) => out.errors.push(String(e)))
  page.on('request', (r) => out.requests.push(r.url()))
  page.on('dialog', (d) => {
    out.dialogs.push(d.message())
    void d.dismiss()
  })
  await page.setContent(html, { waitUntil: 'load' })
  return out
}
