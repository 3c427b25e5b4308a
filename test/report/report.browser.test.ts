/// <reference lib="dom" />
// The report as a person sees it, in a real headless Chromium. Saves docs/report.png (the README's screenshot).
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderHtmlReport } from '../../src/index.js'
import { launch, type Opened, open } from './browser.js'
import { bigRun, checkout, checkoutNames, hostile } from './fixtures.js'

const SCREENSHOT = fileURLToPath(new URL('../../docs/report.png', import.meta.url))

let context: BrowserContext
let close: () => Promise<void>
beforeAll(async () => {
  ;({ context, close } = await launch())
}, 60_000)
afterAll(async () => {
  await close?.()
})

const texts = (page: Page, selector: string) => page.locator(selector).allTextContents()
const detail = (page: Page) => page.locator('#detail').innerText()
/** The table's rows top to bottom, as the cells' texts. */
async function tableRows(page: Page): Promise<string[][]> {
  return page.$$eval('#t-body .t-row', (rows) =>
    rows
      .map((r) => ({
        top: Number.parseFloat((r as HTMLElement).style.top),
        cells: Array.from(r.children, (c) => c.textContent ?? ''),
      }))
      .sort((a, b) => a.top - b.top)
      .map((r) => r.cells),
  )
}
const ms = (text: string) => (text.endsWith(' s') ? Number.parseFloat(text) * 1000 : Number.parseFloat(text))

describe('renderHtmlReport in Chromium', () => {
  let o: Opened
  beforeAll(async () => {
    o = await open(context, renderHtmlReport(checkout))
  })

  it('shows the run header: name, id, outcome and duration', async () => {
    const header = await o.page.locator('header').innerText()
    expect(header).toContain('checkout')
    expect(header).toContain('order-4711')
    expect(header).toContain('✗ error')
    expect(header).toContain('212.3 ms')
  })

  it('shows every step name, once in the waterfall and once in the table, each visible', async () => {
    expect(await texts(o.page, '#wf-body .wf-row .name')).toEqual(checkoutNames)
    for (const name of checkoutNames) {
      await expect(o.page.locator('#wf-body .wf-row .name').getByText(name, { exact: true }).isVisible()).resolves.toBe(
        true,
      )
    }
    expect((await tableRows(o.page)).map((r) => r[1])).toEqual(checkoutNames)
  })

  it('draws one bar per step, placed in time order and scaled to its duration', async () => {
    const bars = o.page.locator('#wf-body .wbar')
    expect(await bars.count()).toBe(checkoutNames.length)
    const boxes = await Promise.all((await bars.all()).map((b) => b.boundingBox()))
    for (const b of boxes) expect(b?.width).toBeGreaterThan(0)
    const at = (name: string) => boxes[checkoutNames.indexOf(name)]!
    // 'charge card' (61 ms) starts after 'fraud check' ends and is longer than 'fetch customer' (21.6 ms).
    expect(at('charge card').x).toBeGreaterThanOrEqual(at('fraud check').x + at('fraud check').width - 1)
    expect(at('charge card').width).toBeGreaterThan(at('fetch customer').width * 2)
    // Children sit under their group and inside its span.
    expect(at('load data.orders').x).toBeCloseTo(at('load data').x, 0)
  })

  it('marks retries and replays on the rows', async () => {
    const row = (name: string) => o.page.locator('#wf-body .wf-row', { hasText: name }).first().innerText()
    expect(await row('refresh rates')).toContain('↻1')
    expect(await row('validate cart')).toContain('⟲')
    expect(await row('fetch customer')).not.toMatch(/[↻⟲]/)
    expect(await o.page.locator('#wf-body .wbar.replayed').count()).toBe(2)
  })

  it("shows a failed step's error, with its fields, in the detail panel after a click", async () => {
    await o.page.locator('#wf-body .wf-row', { hasText: 'fetch customer' }).click()
    expect(await detail(o.page)).not.toContain('insufficient funds')
    await o.page.locator('#wf-body .wf-row', { hasText: 'charge card' }).click()
    const text = await detail(o.page)
    expect(text).toContain('charge card')
    expect(text).toContain('CardDeclined: card declined: insufficient funds')
    expect(text).toMatch(/code\s+insufficient_funds/)
    expect(text).toMatch(/amountCents\s+4200/)
    expect(text).toMatch(/replayed\s+no/)
    expect(await o.page.locator('#wf-body .wf-row.sel').innerText()).toContain('charge card')
  })

  it("shows a retried step's failed attempts, and a replayed step as replayed", async () => {
    await o.page.locator('#t-body .t-row', { hasText: 'refresh rates' }).click()
    const text = await detail(o.page)
    expect(text).toMatch(/attempts\s+2/)
    expect(text).toContain('attempt 1 failed, retried after 1') // 10.0 ms
    expect(text).toContain('ServiceDown')
    await o.page.locator('#t-body .t-row', { hasText: 'reserve stock' }).click()
    expect(await detail(o.page)).toMatch(/replayed\s+yes, from the durable store/)
  })

  it('sorts the table by a header click, and reverses on a second click', async () => {
    const header = o.page.locator('#t-head button', { hasText: 'Duration' })
    await header.click()
    let rows = await tableRows(o.page)
    let durations = rows.map((r) => ms(r[5]!))
    expect(durations).toEqual([...durations].sort((a, b) => b - a))
    expect(rows[0]![1]).toBe('charge card')
    expect(await header.getAttribute('aria-sort')).toBe('descending')
    await header.click()
    rows = await tableRows(o.page)
    durations = rows.map((r) => ms(r[5]!))
    expect(durations).toEqual([...durations].sort((a, b) => a - b))
    expect(await header.getAttribute('aria-sort')).toBe('ascending')
    await o.page.locator('#t-head button', { hasText: 'Step' }).click()
    expect((await tableRows(o.page)).map((r) => r[1])).toEqual([...checkoutNames].sort((a, b) => (a < b ? -1 : 1)))
    // The waterfall keeps run order whatever the table's sort.
    expect(await texts(o.page, '#wf-body .wf-row .name')).toEqual(checkoutNames)
  })

  it('filters both views to the problem steps', async () => {
    await o.page.locator('#problems').check()
    expect(await texts(o.page, '#wf-body .wf-row .name')).toEqual([
      'refresh rates',
      'shipping quote[0] dhl',
      'shipping quote[2] fedex',
      'charge card',
    ])
    expect(await o.page.locator('#count').innerText()).toBe('4 of 14 steps')
    await o.page.locator('#problems').uncheck()
    expect(await o.page.locator('#wf-body .wf-row').count()).toBe(14)
  })

  it('folds a group in the waterfall (the table keeps every step), and unfolds it', async () => {
    const names = () => texts(o.page, '#wf-body .wf-row .name')
    await o.page.locator('#wf-body .wf-row', { hasText: 'load data' }).first().locator('.fold').click()
    expect(await names()).toEqual(checkoutNames.filter((n) => !n.startsWith('load data.')))
    expect(await o.page.locator('#t-body .t-row').count()).toBe(checkoutNames.length)
    await o.page.locator('#wf-body .wf-row', { hasText: 'load data' }).first().locator('.fold').click()
    expect(await names()).toEqual(checkoutNames)
    await o.page.locator('#fold-all').click()
    expect(await names()).toEqual(checkoutNames.filter((n) => !/^(load data\.|shipping quote\[)/.test(n)))
    expect(await o.page.locator('#fold-all').innerText()).toBe('Unfold groups')
    await o.page.locator('#fold-all').click()
    expect(await names()).toEqual(checkoutNames)
  })

  it('logs no console error and makes no network request', () => {
    expect(o.errors).toEqual([])
    expect(o.requests).toEqual([])
    expect(o.dialogs).toEqual([])
  })

  it('saves a screenshot of a fresh page with the failed step selected (docs/report.png)', async () => {
    const fresh = await open(context, renderHtmlReport(checkout))
    await fresh.page.locator('#wf-body .wf-row', { hasText: 'charge card' }).click()
    mkdirSync(fileURLToPath(new URL('../../docs', import.meta.url)), { recursive: true })
    // The same pixels every run: no hover (the pointer leaves the page), no caret, no focus ring.
    await fresh.page.mouse.move(0, 0)
    await fresh.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    const png = await fresh.page.screenshot({ path: SCREENSHOT, fullPage: true, animations: 'disabled', caret: 'hide' })
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    expect(fresh.errors).toEqual([])
    expect(fresh.requests).toEqual([])
    await fresh.page.close()
  })
})

describe('renderHtmlReport in Chromium: user data is text, never markup', () => {
  it('shows hostile step names, run ids and errors as text and runs none of them', async () => {
    const o = await open(context, renderHtmlReport(hostile))
    expect(await o.page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined()
    expect(await o.page.locator('img, svg, [onerror], [onload]').count()).toBe(0)
    expect(await o.page.locator('script').count()).toBe(2) // the data and the page's own
    expect(await o.page.locator('h1').innerText()).toBe('<b>wf</b><script>window.__xss=1</script>')
    expect(await o.page.locator('#run-id').innerText()).toBe('"><img src=x onerror="window.__xss=2">')
    expect(await texts(o.page, '#wf-body .wf-row .name')).toEqual([
      '<img src=x onerror="window.__xss=3">',
      '</script><script>window.__xss=4</script>',
      'x\u2028y <!-- & "quotes" \'single\'',
    ])
    await o.page.locator('#wf-body .wf-row').nth(2).click()
    expect(await detail(o.page)).toContain(
      '<svg onload="window.__xss=5">: </script><img src=x onerror="window.__xss=6">',
    )
    expect(await o.page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined()
    expect(o.errors).toEqual([])
    expect(o.requests).toEqual([])
    expect(o.dialogs).toEqual([])
    await o.page.close()
  })
})

describe('renderHtmlReport in Chromium at 10,000 steps', () => {
  it('opens, keeps the DOM light, scrolls to the last step, sorts and filters', async () => {
    const events = bigRun()
    const html = renderHtmlReport(events)
    const started = performance.now()
    const o = await open(context, html)
    await o.page.locator('#wf-body .wf-row').first().waitFor()
    console.info(
      `10,000-step report: ${(html.length / 1e6).toFixed(2)} MB, open to first row ${(performance.now() - started).toFixed(0)} ms`,
    )
    expect(await o.page.locator('#count').innerText()).toBe('10,000 steps')
    expect(await o.page.locator('header').innerText()).toContain('10,000 steps')
    // Only the rows in view (plus a margin) are in the DOM.
    const drawn = await o.page.locator('#wf-body .wf-row').count()
    expect(drawn).toBeGreaterThan(10)
    expect(drawn).toBeLessThan(200)
    await o.page.locator('#wf-scroll').evaluate((s) => {
      s.scrollTop = s.scrollHeight
    })
    await expect
      .poll(() => o.page.locator('#wf-body .wf-row .name').getByText('checkpoint 99', { exact: true }).isVisible())
      .toBe(true)
    await o.page.locator('#t-head button', { hasText: 'Duration' }).click()
    const top = (await tableRows(o.page))[0]!
    expect(top[5]).toBe('30.0 ms') // the groups are the longest steps
    await o.page.locator('#filter').fill('step 9799')
    expect(await o.page.locator('#count').innerText()).toBe('1 of 10,000 steps')
    expect(await texts(o.page, '#wf-body .wf-row .name')).toEqual(['step 9799'])
    await o.page.locator('#wf-body .wf-row').click()
    expect(await detail(o.page)).toContain('in group')
    // At 10,000 steps a bar is a sliver of a 3.7 s run: zooming to its group makes it readable.
    await o.page.locator('#filter').fill('batch 50')
    await o.page.locator('#wf-body .wf-row', { hasText: 'batch 50' }).click()
    const width = async () => (await o.page.locator('#wf-body .wbar').first().boundingBox())!.width
    const before = await width()
    await o.page.locator('#detail button', { hasText: 'Zoom the waterfall to this step' }).click()
    expect(await width()).toBeGreaterThan(before * 20)
    expect(await o.page.locator('#wf-ticks').innerText()).toMatch(/\+1\.8\d* s/)
    await o.page.locator('#unzoom').click()
    expect(await width()).toBeCloseTo(before, 0)
    expect(await o.page.locator('#unzoom').isVisible()).toBe(false)
    expect(o.errors).toEqual([])
    expect(o.requests).toEqual([])
    await o.page.close()
  }, 60_000)
})
