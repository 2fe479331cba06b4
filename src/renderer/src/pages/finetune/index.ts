export { FinetunePage } from './FinetunePage.tsx';
