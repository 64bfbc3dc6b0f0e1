#!/usr/bin/env node
// Committed launcher: npm links bins at install time, before the build makes dist/.
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
