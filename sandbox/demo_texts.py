"""The words of the demo data: people, vacancies, templates and small talk."""

from __future__ import annotations

USERS = (  # the first one is the recruiter the dashboard's demo account links to
    ("Sanne", "de Vries", "recruiter@acme.example", "31612000001"),
    ("Mark", "Peeters", "mark@acme.example", "31612000002"),
    ("Fatima", "El Amrani", "fatima@acme.example", "31612000003"),
)
FIRST_NAMES = ("Daan", "Emma", "Sem", "Julia", "Lucas", "Mila", "Finn", "Tess", "Levi", "Sara", "Noah", "Zoë",
               "Milan", "Lotte", "Jesse", "Anouk", "Thijs", "Fleur", "Bram", "Isa", "Mohammed", "Yasmina", "Piotr",
               "Agnieszka", "Mehmet", "Elif", "João", "Ana", "Dimitri", "Sofia", "Kevin", "Priya", "Tomasz",
               "Lieke", "Ruben", "Naomi", "Stijn", "Esra", "Jan", "Marieke", "Kofi", "Amira", "Luuk", "Iris",
               "Omar", "Hanna", "Gijs", "Noor", "Wouter", "Chloé")
LAST_NAMES = ("Jansen", "de Boer", "Bakker", "Visser", "Smit", "Meijer", "de Groot", "Mulder", "Bos", "Vos",
              "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer", "Kok", "Yilmaz", "Kowalski", "El Idrissi",
              "Santos", "Nowak", "Öztürk", "van Leeuwen", "Willems", "Verbeek", "Koster", "Prins", "Huisman",
              "Mensah", "Sharma")
POSTAL_CODES = ("5011 AB", "3511 LK", "1012 WX", "3011 BD", "5611 HW", "9711 LM", "2511 CV", "6811 KL", "7511 JE")

VACANCIES = (
    ("Warehouse operator", "https://jobs.acme.example/warehouse-operator-tilburg",
     "Warehouse operator, Tilburg (full time, 3-shift roster)\n"
     "You pick and pack orders for our e-commerce customers with a hand scanner.\n"
     "- Fluent in Dutch is required; you communicate with the team all day.\n"
     "- You must have a valid VCA certificate.\n"
     "- You are available for early and late shifts.\n"
     "- A forklift certificate is a plus.\n"
     "- Experience with order picking or reach truck driving is nice to have.\n"
     "We offer €15.20 per hour, a travel allowance and a permanent contract after six months."),
    ("Delivery driver", "https://jobs.acme.example/delivery-driver-utrecht",
     "Delivery driver, Utrecht region\n"
     "You deliver parcels to homes and businesses with an electric van.\n"
     "- A driving licence B is required.\n"
     "- You are customer-oriented, punctual and work independently.\n"
     "- English is a plus.\n"
     "Weekly pay, a company phone and fixed routes."),
    ("Customer service agent", "https://jobs.acme.example/customer-service-amsterdam",
     "Customer service agent, Amsterdam (hybrid)\n"
     "You answer questions by phone, chat and e-mail for an energy supplier.\n"
     "- Excellent communication in Dutch and English is a must.\n"
     "- Experience with customer service or a CRM is preferred.\n"
     "- You stay calm under stress and are a team player.\n"
     "We offer training, 24-40 hours per week and a laptop."),
    ("Kitchen assistant", "https://jobs.acme.example/kitchen-assistant-rotterdam",
     "Kitchen assistant, Rotterdam\n"
     "You help our chefs prepare lunch and dinner for 300 guests a day.\n"
     "- HACCP knowledge is required.\n"
     "- Cooking experience is a plus.\n"
     "- You are flexible and reliable.\n"
     "Evening and weekend shifts, meals included."),
)
WAREHOUSE_PARAMETERS = {
    "requiredFields": [{"value": "name", "sessionField": "name"}, {"value": "email", "sessionField": "email"},
                       {"value": "postal code", "sessionField": "postal_code"},
                       {"value": "availability", "sessionField": "availability"}],
    "knockoutRequirements": [{"value": "Fluent in Dutch", "sessionField": "dutch_fluency"},
                             {"value": "Has a valid VCA certificate", "sessionField": "vca_certificate"},
                             {"value": "Available for early and late shifts", "sessionField": "shift_availability"}],
    "preferredRequirements": [{"value": "Has a forklift certificate", "sessionField": "forklift_certificate"},
                              {"value": "Experience with order picking", "sessionField": "order_picking"},
                              {"value": "Experience with reach truck driving", "sessionField": "reach_truck"}],
    "language": "en", "useEmojis": True, "flowName": "Warehouse operator Tilburg: application",
}
DRIVER_PARAMETERS = {
    "requiredFields": [{"value": "name", "sessionField": "name"}, {"value": "phone", "sessionField": "phone"}],
    "knockoutRequirements": [{"value": "Has a driving licence B", "sessionField": "driving_licence_b"}],
    "preferredRequirements": [{"value": "Speaks English", "sessionField": "english"}],
    "language": "en", "useEmojis": False, "flowName": "Delivery driver Utrecht: application",
}
TEMPLATES = (
    ("application_follow_up", "en", "UTILITY",
     [{"type": "HEADER", "format": "Text", "text": "Your application"},
      {"type": "BODY", "text": "Hi {{1}}, thanks for applying for {{2}}. Do you have two minutes for a few questions?",
       "example": {"body_text": [["Emma", "Warehouse operator"]]}},
      {"type": "FOOTER", "text": "Acme Recruiting"}]),
    ("interview_invitation", "nl", "MARKETING",
     [{"type": "BODY", "text": "Hoi {{1}}, we nodigen je graag uit voor een gesprek op {{2}}. Past dat?",
       "example": {"body_text": [["Daan", "dinsdag 10:00"]]}}]),
    ("vacancy_alert", "en", "MARKETING",
     [{"type": "BODY", "text": "Hi {{1}}, a new job that fits you: {{2}}. Reply YES to hear more.",
       "example": {"body_text": [["Sara", "Delivery driver"]]}}]),
)
RECRUITER_LINES = ("Hi {first}, thanks for your application! When would suit you for a short call?",
                   "Good morning {first}, did you manage to look at the contract?",
                   "Hi {first}, your interview is confirmed for Thursday at 10:00.",
                   "Thanks {first}, I have passed your details on to the team lead.")
CANDIDATE_LINES = ("Thanks! Tomorrow afternoon works for me.", "Yes, I signed it this morning.",
                   "Great, see you Thursday.", "Thank you, looking forward to hearing from you.",
                   "Could you tell me more about the shifts?", "Is there parking near the warehouse?")
