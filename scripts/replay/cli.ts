/**
 * The command-line helpers `npm run replay` and `npm run local` import from here
 * live in ../cli.ts, shared by every script; this module re-exports them.
 */
export { numberOption, readOptions, runMain, stackArgument, UsageError, urlOption } from "../cli";
