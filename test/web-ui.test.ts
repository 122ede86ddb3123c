import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { validateAdaptiveCard } from './helpers/adaptive-cards.js'
import { browserAvailable, launchBrowser } from './helpers/browser.js'
import { freshHome, type ServerProcess, startServer } from './helpers/processes.js'
import { startSmtpSink } from './helpers/smtp-sink.js'
import { waitFor } from './helpers/wait.js'
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js'

const root = resolve(import.meta.dirname, '..')
const SHOTS = join(root, 'test-results', 'screenshots')
const TEAMS_PATH = '/teams/webhookb2/SECRET-TOKEN-9'
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')

let server: ServerProcess | undefined
let receiver: WebhookReceiver | undefined
let browser: Browser | undefined
afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await receiver?.close()
})

describe.skipIf(!browserAvailable())('the web UI in a real browser (Debian chromium, headless)', () => {
  const home = freshHome({ store: 'empty' })
  const env = {
    OPENINSIGHTS_HOME: home,
    OPENINSIGHTS_REFRESH_RETRIES: '0',
    OPENINSIGHTS_OUTBOUND_ALLOW: '127.0.0.0/8',
  }
  let page: Page
  const shot = async (name: string) => {
    // Nothing at 1280×800 is wider than the window (no layout broken sideways).
    const width = Number(await page.evaluate('document.documentElement.scrollWidth'))
    expect(width, `${name} is ${width}px wide`).toBeLessThanOrEqual(1280)
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
    // Labels, names, roles and contrast (WCAG 2 A/AA) as axe-core checks them.
    await page.addScriptTag({ path: AXE })
    const violations = (await page.evaluate(
      "axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))",
    )) as { id: string; impact: string; nodes: string[] }[]
    expect(violations, `${name}: accessibility`).toEqual([])
  }
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click()

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    // The UI as `npm start` serves it (built when missing or stale).
    const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.js')], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(built.status, built.stderr).toBe(0)
    receiver = await startWebhookReceiver()
    receiver.on(TEAMS_PATH, () => ({ status: 200, body: '1' }))
    server = await startServer(['--demo'], env)
    await server.waitForOutput(/ready in [\d.]+ s/, 90_000)
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    page.setDefaultTimeout(20_000)
  }, 180_000)

  it('keeps first-load JavaScript under 300 KB gzip', () => {
    const dist = join(root, 'web', 'dist')
    const html = readFileSync(join(dist, 'index.html'), 'utf8')
    const scripts = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1] as string)
    const gzip = scripts.reduce((sum, f) => sum + gzipSync(readFileSync(join(dist, f))).length, 0)
    console.log(`first-load JavaScript: ${(gzip / 1024).toFixed(1)} KB gzip`)
    expect(gzip).toBeLessThan(300 * 1024)
  })

  it('sets up the admin account from the one-time link, signs out and in with a session cookie', async () => {
    const link = /(http:\/\/\S+\/setup#token=\S+)/.exec(server!.output())?.[1] as string
    expect(link).toBeDefined()
    await page.goto(link)
    await page.getByLabel('User name').fill('admin')
    await page.getByLabel('Password', { exact: true }).fill('correct horse battery')
    await page.getByLabel('Repeat password').fill('correct horse battery')
    await shot('setup')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('heading', { name: 'Home' }).waitFor()
    // The link works once.
    const again = await fetch(`${server!.url}/api/v1/web/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: link.split('token=')[1], username: 'eve', password: 'another password' }),
    })
    expect(again.status).toBe(409)
    const cookies = await page.context().cookies()
    expect(cookies.find((c) => c.name === 'oi_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' })

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in to openinsights' }).waitFor()
    await page.getByLabel('User name').fill('admin')
    await page.getByLabel('Password').fill('wrong password!')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText('wrong user name or password').waitFor()
    await page.getByLabel('Password').fill('correct horse battery')
    await shot('sign-in')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Home' }).waitFor()
    await page.getByText('Unified customers').waitFor()
    await shot('home')
  })

  it('builds the Teams flow through Admin → Export destinations → Power Automate → Configure', async () => {
    await nav('Export destinations')
    const tile = page.getByRole('article', { name: 'Power Automate' })
    await tile.getByText('Use real Power Automate').click()
    // The page was opened at 127.0.0.1, which Power Automate's cloud cannot reach: it asks.
    await tile.getByText('Enter the address (https://…) to download the connector made for it.').waitFor()
    await tile.getByLabel(/Public address/).fill('http://127.0.0.1:9')
    await tile
      .getByRole('alert')
      .getByText(/cannot reach 127\.0\.0\.1:9/)
      .waitFor()
    await tile.getByLabel(/Public address/).fill(server!.url)
    await expect(
      tile.getByRole('link', { name: 'apiDefinition.swagger.json' }).getAttribute('href'),
    ).resolves.toMatch(/\/api\/v1\/connector\/apiDefinition\.swagger\.json\?host=/)
    await shot('export-destinations')
    // The custom connector for real Power Automate, for the address the page was opened at.
    const href = (await tile
      .getByRole('link', { name: 'apiDefinition.swagger.json' })
      .getAttribute('href')) as string
    const swagger = await page.evaluate(async (url) => (await fetch(url)).json(), href)
    expect(swagger).toMatchObject({ swagger: '2.0', host: new URL(server!.url).host, basePath: '/api/v1' })
    expect(JSON.stringify(swagger)).toContain('OnDataSourceRefreshFailed')
    await tile.getByRole('link', { name: 'Configure' }).click()
    await page.getByRole('heading', { name: 'New flow' }).waitFor()

    await page.getByLabel('Flow name').fill('Teams on failure')
    await page.getByRole('radio', { name: /When a data source refresh failed/ }).check()
    // The data source is picked from the instance's own, as in Power Automate (typing stays possible).
    const sourceChoices = () =>
      page
        .getByLabel('Data source name', { exact: true })
        .evaluate((input) => [...((input as HTMLInputElement).list?.options ?? [])].map((o) => o.value))
    await waitFor(
      async () => ((await sourceChoices()).length > 0 ? true : undefined),
      'the data source choices',
    )
    expect((await sourceChoices()).sort()).toEqual(['crm_contacts', 'loyalty_members', 'webshop_orders'])
    await page.getByRole('button', { name: '+ New step' }).click()
    await page.getByRole('button', { name: /Post message in a Teams channel/ }).click()
    await page.getByLabel('Webhook URL').fill(`${receiver!.url}${TEAMS_PATH}`)

    // Text and dynamic content, inserted where the cursor is.
    const title = page.locator('.token-field', { has: page.getByLabel('Title') })
    await title.getByLabel('Title').fill('Refresh of ')
    await title.getByRole('button', { name: 'Dynamic content' }).click()
    await title.getByRole('dialog').getByRole('button', { name: 'Data source name', exact: true }).click()
    await title.getByLabel('Title').press('End')
    await title.getByLabel('Title').pressSequentially(' failed')
    const message = page.locator('.token-field', { has: page.getByLabel('Message') })
    await message.getByRole('button', { name: 'Dynamic content' }).click()
    await message.getByRole('dialog').getByRole('button', { name: 'Error code', exact: true }).click()
    await message.getByLabel('Message').press('End')
    await message.getByLabel('Message').pressSequentially(': ')
    await message.getByRole('button', { name: 'Dynamic content' }).click()
    await message.getByRole('dialog').getByRole('button', { name: 'Error message', exact: true }).click()
    await expect(title.getByLabel('Title').inputValue()).resolves.toBe(
      "Refresh of @{triggerBody()?['dataSourceName']} failed",
    )
    // The field reads with the token's name, as Power Automate's chips do.
    await expect(title.locator('.readable').textContent()).resolves.toBe(
      'Title reads as: Refresh of Data source name failed',
    )
    await page.getByRole('button', { name: 'Peek code' }).click()
    await shot('flow-designer')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByText('Saved.').waitFor()

    const flow = await server!.fetchJson('/api/v1/instances/demo/flows/Teams%20on%20failure')
    expect(flow.definition.trigger.type).toBe('datasource.refresh.failed')
    // The webhook URL (a token) was sealed as a secret: the flow refers to it.
    expect(JSON.stringify(flow.definition)).not.toContain('SECRET-TOKEN-9')
    expect(flow.definition.actions.Post_message.inputs.webhookUrl).toMatch(
      /^@secret\('flow:Teams on failure:Post_message/,
    )

    // Editing it again: the sealed URL stays sealed (shown as such, not as text) and is kept.
    await nav('Flows')
    await page
      .getByRole('row', { name: /Teams on failure/ })
      .getByRole('link', { name: 'Edit' })
      .click()
    await page.getByRole('heading', { name: 'Edit flow: Teams on failure' }).waitFor()
    await expect(page.getByLabel('Webhook URL').getAttribute('placeholder')).resolves.toMatch(
      /Kept encrypted/,
    )
    await expect(page.getByLabel('Webhook URL').inputValue()).resolves.toBe('')
    await page.getByLabel('Title').fill("Refresh of @{triggerBody()?['dataSourceName']} failed!")
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByText('Saved.').waitFor()
    const edited = await server!.fetchJson('/api/v1/instances/demo/flows/Teams%20on%20failure')
    expect(edited.definition.actions.Post_message.inputs.webhookUrl).toBe(
      flow.definition.actions.Post_message.inputs.webhookUrl,
    )
    expect(edited.definition.actions.Post_message.inputs.card.body[0].text).toBe(
      "Refresh of @{triggerBody()?['dataSourceName']} failed!",
    )
    // Back as it was, for the card checked below.
    await page.getByLabel('Title').fill("Refresh of @{triggerBody()?['dataSourceName']} failed")
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await waitFor(async () => {
      const back = await server!.fetchJson('/api/v1/instances/demo/flows/Teams%20on%20failure')
      return back.definition.actions.Post_message.inputs.card.body[0].text.endsWith('failed')
        ? true
        : undefined
    }, 'the flow saved back')
  })

  it("builds a flow with a variable, a switch and a scope from the designer's built-in actions", async () => {
    await nav('Flows')
    await page.getByRole('link', { name: 'New flow' }).first().click()
    await page.getByRole('heading', { name: 'New flow' }).waitFor()
    await page.getByLabel('Flow name').fill('Built-ins in the designer')
    await page.getByRole('radio', { name: /When a data source refresh failed/ }).check()
    await page.getByRole('button', { name: '+ New step' }).click()
    await page.getByRole('button', { name: /Initialize variable/ }).click()
    const init = page.getByRole('article', { name: 'Step Initialize variable' })
    await init.getByLabel(/^Name \*$/).fill('attempts')
    await init.getByLabel(/^Type \*$/).selectOption('Integer')
    await init.getByLabel(/^Value$/).fill('1')
    await page.getByRole('button', { name: '+ Add an action' }).last().click()
    await page.getByRole('button', { name: /Switch/ }).click()
    const route = page.getByRole('article', { name: 'Step Switch' })
    // The variable is dynamic content, as in Power Automate.
    const on = route.locator('.token-field', { has: page.getByLabel(/^On \*$/) })
    await on.getByRole('button', { name: 'Dynamic content' }).click()
    await on.getByRole('dialog').getByRole('button', { name: 'attempts', exact: true }).click()
    // The picker closes and hands the focus back to the field it filled before anything else is typed.
    await on.getByRole('dialog').waitFor({ state: 'detached' })
    const caseValue = route.getByLabel('Value of Case of Switch')
    await waitFor(async () => {
      await caseValue.fill('1')
      return (await caseValue.inputValue()) === '1' ? true : undefined
    }, 'the case value typed in')
    await route
      .getByRole('region', { name: 'Case of Switch' })
      .getByRole('button', { name: '+ Add an action' })
      .click()
    await page.getByRole('button', { name: /Increment variable/ }).click()
    await page
      .getByRole('article', { name: 'Step Increment variable' })
      .getByLabel(/^Name \*$/)
      .fill('attempts')
    await route.getByRole('button', { name: '+ Add a case' }).click()
    await route.getByLabel('Value of Case 2 of Switch').fill('gold')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByText('Saved.').waitFor()
    const flow = await server!.fetchJson('/api/v1/instances/demo/flows/Built-ins%20in%20the%20designer')
    expect(flow.definition.actions.Initialize_variable.inputs).toEqual({
      variables: [{ name: 'attempts', type: 'Integer', value: 1 }],
    })
    expect(flow.definition.actions.Switch).toMatchObject({
      type: 'switch',
      expression: "@variables('attempts')",
      runAfter: { Initialize_variable: ['Succeeded'] },
      cases: {
        Case: {
          case: 1,
          actions: { Increment_variable: { type: 'incrementVariable', inputs: { name: 'attempts' } } },
        },
        Case_2: { case: 'gold', actions: {} },
      },
    })
    await shot('flow-designer-built-ins')
  })

  it('breaks a source, refreshes it, and shows the run with the card it sent', async () => {
    const file = join(home, 'demo-data', 'crm-contacts.csv')
    const original = readFileSync(file, 'utf8')
    writeFileSync(file, 'this is not a CSV export\n')
    try {
      await nav('Data sources')
      await page.getByRole('button', { name: 'Refresh crm_contacts now' }).click()
      const row = page.getByRole('row', { name: /crm_contacts/ })
      await row.getByText('failed', { exact: true }).waitFor({ timeout: 60_000 })
      await row.getByRole('link', { name: 'crm_contacts' }).click()
      await page.getByRole('heading', { name: 'Refresh history of crm_contacts' }).waitFor()
      await page
        .getByText(/ColumnNotFound/)
        .first()
        .waitFor()
      await shot('data-sources')
    } finally {
      writeFileSync(file, original)
    }

    const r = receiver!
    await waitFor(
      async () => (r.requestsTo(TEAMS_PATH).length > 0 ? true : undefined),
      'the Teams message',
      60_000,
    )
    await new Promise((done) => setTimeout(done, 500))
    const posts = r.requestsTo(TEAMS_PATH)
    expect(posts).toHaveLength(1)
    const content = JSON.parse(posts[0]!.body).attachments[0].content
    expect(validateAdaptiveCard(content).problems).toEqual([])
    expect(JSON.stringify(content)).toContain('Refresh of crm_contacts failed')
    expect(JSON.stringify(content)).toContain('ColumnNotFound: ')

    await nav('Flows')
    await page.getByRole('link', { name: 'Teams on failure' }).click()
    await page.getByRole('heading', { name: 'Run history of Teams on failure' }).waitFor()
    const runLink = page.getByRole('link', { name: /^Run \w+ of Teams on failure$/ })
    await runLink.first().waitFor({ timeout: 30_000 })
    await page
      .getByRole('form', { name: 'Email the data owners when a segment crosses a threshold' })
      .waitFor()
    await shot('flows')
    await runLink.first().click()
    await page.getByRole('heading', { name: 'Teams on failure: run' }).waitFor()
    const step = page.getByRole('listitem').filter({ hasText: 'Post message' })
    await step.getByText('Succeeded').first().waitFor()
    // The card, drawn as Teams shows it, and its JSON as the step's inputs.
    const preview = step.getByRole('figure', { name: 'The card as sent' })
    await preview.getByText('Refresh of crm_contacts failed').waitFor()
    await preview.getByText(/^ColumnNotFound: data source 'crm_contacts'/).waitFor()
    const inputs = await step.getByRole('region', { name: 'Inputs of Post_message' }).textContent()
    expect(inputs).toContain('Refresh of crm_contacts failed')
    expect(inputs).toContain('"type": "AdaptiveCard"')
    const outputs = await step.getByRole('region', { name: 'Outputs of Post_message' }).textContent()
    expect(outputs).toContain('"statusCode": 200')
    // History never shows the webhook's token.
    expect(await page.content()).not.toContain('SECRET-TOKEN-9')
    await shot('flow-run')

    // Test with the last event: the newest datasource.refresh.failed event, replayed by hand.
    await page.getByRole('link', { name: 'All runs of Teams on failure' }).click()
    await page.getByRole('button', { name: 'Test with the last event' }).click()
    await page.getByRole('cell', { name: 'manual test' }).waitFor({ timeout: 30_000 })
    await waitFor(
      async () => (r.requestsTo(TEAMS_PATH).length === 2 ? true : undefined),
      "the test run's message",
    )
    expect(JSON.parse(r.requestsTo(TEAMS_PATH)[1]!.body).attachments[0].content).toEqual(content)
  })

  it('shows every other page, with large entities paged by the server', async () => {
    // The page shows the server's count of the profiles, whatever unification made.
    const entities = await server!.fetchJson('/api/v1/instances/demo/entities')
    const profiles = (entities.value as { name: string; rowCount: number }[]).find(
      (e) => e.name === 'UnifiedCustomer',
    )!.rowCount
    expect(profiles).toBeGreaterThan(4000)
    const total = profiles.toLocaleString('en-US')
    await nav('Entities')
    await page.getByRole('link', { name: 'UnifiedCustomer', exact: true }).click()
    await page.getByText(`Rows 1–50 of ${total}`).waitFor()
    await page.getByRole('button', { name: 'Next' }).click()
    await page.getByText(`Rows 51–100 of ${total}`).waitFor()
    await shot('entities')

    await nav('Unify')
    await page.getByText('Unified profiles').waitFor()
    const customerId = (await server!.fetchJson('/api/v1/instances/demo/data/UnifiedCustomer?$top=1'))
      .value[0].CustomerId
    await page.getByLabel('CustomerId').fill(customerId)
    await page.getByRole('button', { name: 'Explain' }).click()
    await page.getByRole('heading', { name: /Why they match/ }).waitFor()
    await shot('unify')

    await nav('Measures')
    await page.getByRole('button', { name: 'TotalRevenue', exact: true }).click()
    await page.getByRole('img', { name: 'TotalRevenue over time' }).waitFor()
    await shot('measures')

    await nav('Segments')
    await page.getByRole('button', { name: 'HighValueCustomers', exact: true }).click()
    await page.getByRole('img', { name: 'HighValueCustomers over time' }).waitFor()
    await page.getByLabel('Value of row 1').fill('DK')
    await page.getByRole('button', { name: 'Estimate members' }).click()
    await page.getByText(/about [\d,]+ customers/).waitFor()
    await shot('segments')

    await nav('Deliveries')
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor()
    await shot('deliveries')

    await nav('Connections and API keys')
    await page.getByLabel('Name').fill('power-automate')
    await page.getByRole('button', { name: 'Create key' }).click()
    const key = await page.locator('code.secret').textContent()
    expect(key).toMatch(/^oi_/)
    if (!key) throw new Error('no key shown')
    await shot('connections')
    // The key is a connection of its own, apart from the session.
    const withKey = await fetch(`${server!.url}/api/v1/instances/demo/entities`, {
      headers: { 'x-api-key': key },
    })
    expect(withKey.status).toBe(200)

    await nav('Events')
    await page.getByLabel('Type').selectOption('datasource.refresh.failed')
    await page.getByRole('listitem').filter({ hasText: 'crm_contacts' }).first().waitFor()
    await shot('events')
  })

  it('does the whole job in the UI: adds a source from a spreadsheet export, builds a measure and a segment, sees its count', async () => {
    // A newsletter export as Excel writes it in Germany: semicolons, Latin-1, decimal commas.
    const rows = Array.from(
      { length: 40 },
      (_, i) =>
        `${1000 + i};abonnent${i}@example.de;Jürgen${i};Müller${i};${(i * 7.5).toFixed(2).replace('.', ',')}`,
    )
    const file = Buffer.from(`abo_nr;email;vorname;nachname;spende\r\n${rows.join('\r\n')}\r\n`, 'latin1')
    await nav('Data sources')
    const form = page.getByRole('region', { name: 'Add a data source' })
    await form.getByLabel('Name', { exact: true }).fill('newsletter')
    await form
      .getByLabel('File', { exact: true })
      .setInputFiles({ name: 'Newsletter Export.csv', mimeType: 'text/csv', buffer: file })
    await form.getByRole('button', { name: 'Preview' }).click()
    await form.getByText('Read as: delimiter ";" (detected)').waitFor()
    await form.getByText('encoding "latin-1" (detected), decimal mark "," (detected)').waitFor()
    expect(await form.getByLabel('Key column').inputValue()).toBe('abo_nr')
    await form.getByLabel('Refresh', { exact: true }).selectOption({ label: 'every day at 03:00' })
    await form.getByRole('button', { name: 'Add and refresh' }).click()
    await form.getByRole('status').filter({ hasText: '40 rows, 0 rejected' }).waitFor({ timeout: 60_000 })
    await form.getByRole('region', { name: 'Suggested mapping' }).waitFor()
    expect(await form.getByLabel('Attribute for email').inputValue()).toBe('Email')
    await form.getByRole('button', { name: 'Use this mapping' }).click()
    await form.getByText('Mapping saved').waitFor()
    await shot('add-data-source')
    const config = await server!.fetchJson('/api/v1/instances/demo/config')
    expect(config.unify.sources.newsletter.attributes).toMatchObject({ email: 'Email' })
    expect(config.dataSources.newsletter.primaryKey).toBe('abo_nr')
    expect(config.dataSources.newsletter.schedule).toMatchObject({ cron: '0 3 * * *' })

    // Unify: the new source's mapping is there to change; a rule added; saved and run.
    await nav('Unify')
    const editor = page.getByRole('region', { name: 'Map, match and merge' })
    expect(await editor.getByLabel('Attribute of newsletter.email').inputValue()).toBe('Email')
    await editor.getByLabel('Attribute of newsletter.spende').selectOption('')
    await editor.getByRole('button', { name: 'Add rule' }).click()
    const rules = await editor.getByRole('textbox', { name: /^Name of rule/ }).count()
    await editor.getByLabel(`Name of rule ${rules}`).fill('same email from the newsletter')
    await editor.getByRole('button', { name: 'Save and run unification' }).click()
    await page
      .getByRole('row')
      .filter({ hasText: 'succeeded' })
      .filter({ hasText: 'api' })
      .first()
      .waitFor({ timeout: 90_000 })
    await shot('unify-edited')
    const unified = await server!.fetchJson('/api/v1/instances/demo/config')
    expect(unified.unify.rules.at(-1)).toMatchObject({ name: 'same email from the newsletter' })

    await nav('Measures')
    const measure = page.getByRole('form', { name: 'Build a measure' })
    await measure.getByLabel('Measure name').fill('ShopSpend')
    await measure.getByLabel('Kind', { exact: true }).selectOption('customer')
    await measure.getByLabel('Entity').selectOption('webshop_orders')
    await measure.getByLabel('Aggregation').selectOption('sum')
    await measure.getByLabel('Column', { exact: true }).selectOption('total_amount')
    await measure.getByRole('button', { name: 'Save measure' }).click()
    await measure.getByText('Saved ShopSpend').waitFor()
    await page.getByRole('button', { name: 'ShopSpend', exact: true }).waitFor()
    // Edited in place: the builder takes the saved definition, the name stays.
    await page.getByRole('button', { name: 'Edit ShopSpend' }).click()
    const measureEditor = page.getByRole('form', { name: 'Edit ShopSpend' })
    await expect
      .poll(() => measureEditor.getByLabel('Column', { exact: true }).inputValue())
      .toBe('total_amount')
    await measureEditor.getByLabel('Thresholds (optional)').fill('1000000')
    await measureEditor.getByRole('button', { name: 'Save measure' }).click()
    await page
      .getByRole('row')
      .filter({ hasText: 'ShopSpend' })
      .getByRole('cell', { name: '1,000,000' })
      .waitFor()
    await shot('measure-built')

    await nav('Segments')
    const segment = page.getByRole('form', { name: 'Build a segment' })
    await segment.getByLabel('Segment name').fill('big spenders')
    await segment.getByLabel('Or write the filter').fill('ShopSpend ge 5000')
    await segment.getByRole('button', { name: 'Save segment' }).click()
    // The browser says what a segment name must be, not only that it does not match.
    expect(await segment.getByLabel('Segment name').getAttribute('title')).toContain('CamelCase')
    await segment.getByLabel('Segment name').fill('BigShopSpenders')
    await segment.getByRole('button', { name: 'Save segment' }).click()
    const saved = segment.getByRole('status').filter({ hasText: 'Saved BigShopSpenders' })
    await saved.waitFor()
    const counted = Number(
      (/: ([\d,]+) members now/.exec((await saved.textContent()) ?? '')?.[1] ?? '').replaceAll(',', ''),
    )
    expect(counted).toBeGreaterThan(0)
    await saved.getByRole('button', { name: 'publish it now' }).click()
    await saved.getByText('succeeded').waitFor({ timeout: 60_000 })
    const row = page.getByRole('row').filter({ hasText: 'BigShopSpenders' })
    await row.getByRole('cell', { name: counted.toLocaleString('en') }).waitFor()
    await shot('segment-counted')
    // The same count as the API computes from the data.
    const segments = await server!.fetchJson('/api/v1/instances/demo/segments')
    expect(segments.value.find((s: { name: string }) => s.name === 'BigShopSpenders').memberCount).toBe(
      counted,
    )
  }, 180_000)

  it('sets the mail server and sends a test mail, keeps a secret, and shows where calls may go', async () => {
    const smtp = await startSmtpSink()
    try {
      const port = smtp.port
      await nav('Settings')
      const mail = page.getByRole('region', { name: 'Mail server (SMTP)' })
      await mail.getByLabel('Host', { exact: true }).fill('127.0.0.1')
      await mail.getByLabel('Port', { exact: true }).fill(String(port))
      await mail.getByLabel('From', { exact: true }).fill('Insights <insights@contoso.example>')
      await mail.getByRole('button', { name: 'Save mail server' }).click()
      await mail.getByRole('status').filter({ hasText: 'Saved.' }).waitFor()
      await mail.getByLabel('Send a test mail to').fill('owner@contoso.example')
      await mail.getByRole('button', { name: 'Send test mail' }).click()
      await mail.getByText('Accepted for owner@contoso.example').waitFor()
      expect(smtp.mails).toMatchObject([{ to: 'owner@contoso.example', subject: 'openinsights: test mail' }])

      const secrets = page.getByRole('region', { name: 'Secrets' })
      await secrets.getByLabel('Secret name').fill('crm_token')
      await secrets.getByLabel('Value', { exact: true }).fill('s3cr3t-value')
      await secrets.getByRole('button', { name: 'Set secret' }).click()
      await secrets.getByRole('cell', { name: 'crm_token', exact: true }).waitFor()
      expect(await page.content()).not.toContain('s3cr3t-value')
      await page
        .getByRole('region', { name: 'Where webhooks and flows may call' })
        .getByText('127.0.0.0/8')
        .waitFor()
      await shot('settings')
    } finally {
      await smtp.close()
    }
  })

  it('reviews the pairs a probabilistic rule is unsure of, as waterfalls, and labels one', async () => {
    // The demo's hand-written rules replaced by one probabilistic rule, then its review queue.
    const document = await server!.fetchJson('/api/v1/instances/demo/config')
    document.unify.rules = [{ name: 'probabilistic match', probabilistic: {} }]
    const put = await server!.fetchJson('/api/v1/instances/demo/config', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(document),
    })
    expect(put.error, JSON.stringify(put.error)).toBeUndefined()
    const started = await server!.fetchJson('/api/v1/instances/demo/unify/runs', { method: 'POST' })
    const ended = await waitFor(
      async () => {
        const run = await server!.fetchJson(`/api/v1/instances/demo/unify/runs/${started.id}`)
        return run.state === 'succeeded' || run.state === 'failed' ? run : undefined
      },
      'the unify run',
      90_000,
    )
    expect(ended.state, JSON.stringify(ended.error)).toBe('succeeded')
    await nav('Unify')
    const review = page.getByRole('region', { name: 'Review pairs the model is unsure of' })
    await review.getByText(/expects a precision of/).waitFor()
    const first = review.getByRole('article').first()
    await first.getByRole('row', { name: /Prior/ }).waitFor()
    expect(await first.getByRole('row').count()).toBeGreaterThan(4)
    await shot('unify-review')
    await first.getByRole('button', { name: 'Same customer' }).click()
    await review.getByText('1 pair(s) labelled; run unification to apply the answers.').waitFor()
    expect((await server!.fetchJson('/api/v1/instances/demo/unify/review')).labelled).toBe(1)
    // Explaining a customer shows, for a pair the model joined, the same waterfall.
    const joined = await server!.fetchJson(
      `/api/v1/instances/demo/data/MatchPairs?$top=1&$filter=${encodeURIComponent("Rule eq 'probabilistic match'")}`,
    )
    const customerId = joined.value[0].CustomerId as string
    const explain = page.getByRole('region', { name: 'Explain a customer' })
    await explain.getByLabel('CustomerId').fill(customerId)
    await explain.getByRole('button', { name: 'Explain' }).click()
    await explain.getByRole('button', { name: 'Show the weights' }).first().click()
    await explain
      .getByRole('row', { name: /Match weight/ })
      .first()
      .waitFor()
  })

  it('refuses session changes without the UI header, and API calls without a session or key', async () => {
    const cookie = (await page.context().cookies()).find((c) => c.name === 'oi_session')
    const headers = { cookie: `oi_session=${cookie?.value}`, 'content-type': 'application/json' }
    const forged = await fetch(`${server!.url}/api/v1/keys`, {
      method: 'POST',
      headers,
      body: '{"name":"x"}',
    })
    expect(forged.status).toBe(403)
    const read = await fetch(`${server!.url}/api/v1/keys`, { headers })
    expect(read.status).toBe(200)
    expect((await fetch(`${server!.url}/api/v1/keys`)).status).toBe(401)
    // Guessing passwords: a few free failures, then each guess must wait (2 s, 4 s …); the
    // right password waits too, but only as long as Retry-After says, then signs in.
    const login = (password: string) =>
      fetch(`${server!.url}/api/v1/web/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      })
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) statuses.push((await login(`guess ${i}`)).status)
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(6)
    expect(statuses.at(-1)).toBe(429)
    const waiting = await login('correct horse battery')
    expect(waiting.status).toBe(429)
    const retryAfter = Number(waiting.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 200))
    expect((await login('correct horse battery')).status).toBe(200)
  })
})
