import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectStudio } from './api/connect';
import { App } from './app/App';
import { StudioProvider } from './app/studioContext';
import './styles/theme.css';
import './styles/components.css';
import './styles/views.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <StudioProvider client={connectStudio()}>
      <App />
    </StudioProvider>
  </StrictMode>,
);
