"""Job matching for CPI advisors: vacancies, and ranking consented dossiers against them (and
vacancies and ESCO occupations against a person), each result explaining itself."""
