// The consumer's own jest: its compiled tests (tsc wrote them to build/).
module.exports = { testEnvironment: "node", roots: ["<rootDir>/build"], testMatch: ["**/*.spec.js"] };
