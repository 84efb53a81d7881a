/** Jest setup (setupFilesAfterEnv): at the end of each test file, no backend start is left behind. */
import { stopAbandonedStarts } from '../backends/abandoned.js'

afterAll(() => stopAbandonedStarts())
