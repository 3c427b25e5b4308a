export { type HtmlReportOptions, renderHtmlReport } from './html.js'
